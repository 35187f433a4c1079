package dev.rollguard.ingest.topology;

import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Where {@link DeadLetterHandler} writes records that could not be deserialized: {@link #send} returns once the record
 * is written, and throws when it could not be.
 */
@FunctionalInterface
public interface DeadLetterSink {

    void send(ProducerRecord<byte[], byte[]> record);
}
