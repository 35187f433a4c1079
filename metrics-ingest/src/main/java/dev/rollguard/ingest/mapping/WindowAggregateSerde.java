package dev.rollguard.ingest.mapping;

import dev.rollguard.ingest.domain.AggregateLimits;
import dev.rollguard.ingest.domain.WindowAggregate;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/** Window aggregates in the window stores and their changelog topics. */
public final class WindowAggregateSerde implements Serde<WindowAggregate> {

    private final AggregateLimits limits;

    public WindowAggregateSerde(AggregateLimits limits) {
        this.limits = limits;
    }

    @Override
    public Serializer<WindowAggregate> serializer() {
        return (topic, a) -> a == null ? null : a.toBytes();
    }

    @Override
    public Deserializer<WindowAggregate> deserializer() {
        return (topic, data) -> data == null ? null : WindowAggregate.fromBytes(data, limits);
    }
}
