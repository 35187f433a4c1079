package dev.rollguard.ingest.mapping;

import dev.rollguard.ingest.domain.WindowAggregate;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/** Window aggregates in the window stores and their changelog topics, in the format of {@link WindowAggregateCodec}. */
public final class WindowAggregateSerde implements Serde<WindowAggregate> {

    @Override
    public Serializer<WindowAggregate> serializer() {
        return (topic, a) -> a == null ? null : WindowAggregateCodec.encode(a);
    }

    @Override
    public Deserializer<WindowAggregate> deserializer() {
        return (topic, data) -> data == null ? null : WindowAggregateCodec.decode(data);
    }
}
