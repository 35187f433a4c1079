package dev.rollguard.ingest.mapping;

import dev.rollguard.ingest.domain.AggregateLimits;
import dev.rollguard.ingest.domain.HoppingParts;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/** The hopping-window parts of a scope in their store and changelog. */
public final class HoppingPartsSerde implements Serde<HoppingParts> {

    private final AggregateLimits limits;

    public HoppingPartsSerde(AggregateLimits limits) {
        this.limits = limits;
    }

    @Override
    public Serializer<HoppingParts> serializer() {
        return (topic, parts) -> parts == null ? null : parts.toBytes();
    }

    @Override
    public Deserializer<HoppingParts> deserializer() {
        return (topic, data) -> data == null ? null : HoppingParts.fromBytes(data, limits);
    }
}
