package dev.rollguard.schemas.serde;

import org.apache.avro.specific.SpecificRecord;

/**
 * An event read from Kafka together with the exact bytes it was decoded from, so that a consumer that cannot handle
 * the event can dead-letter what was sent rather than a re-encoding of it (which differs when the writer used an
 * earlier schema version). Produced by {@link AvroSerde.DecodedDeserializer}; {@link AvroSerde.DecodedSerializer}
 * writes the bytes back unchanged.
 *
 * @param event the decoded event
 * @param bytes the record value as read, shared rather than copied: not to be modified
 */
public record Decoded<T extends SpecificRecord>(T event, byte[] bytes) {}
