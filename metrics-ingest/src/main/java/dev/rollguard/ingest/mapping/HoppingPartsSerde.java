package dev.rollguard.ingest.mapping;

import dev.rollguard.ingest.domain.HoppingParts;
import dev.rollguard.ingest.domain.WindowAggregate;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * The hopping-window parts of a scope in their store and changelog: a format version (1), the end of the last hopping
 * window emitted, then each part's start and its aggregate ({@link WindowAggregateCodec}).
 */
public final class HoppingPartsSerde implements Serde<HoppingParts> {

    @Override
    public Serializer<HoppingParts> serializer() {
        return (topic, parts) -> parts == null ? null : encode(parts);
    }

    @Override
    public Deserializer<HoppingParts> deserializer() {
        return (topic, data) -> data == null ? null : decode(data);
    }

    static byte[] encode(HoppingParts parts) {
        try {
            var bytes = new ByteArrayOutputStream();
            var out = new DataOutputStream(bytes);
            out.writeByte(1);
            out.writeLong(parts.lastEmittedEnd);
            out.writeInt(parts.parts.size());
            for (Map.Entry<Long, WindowAggregate> part : parts.parts.entrySet()) {
                byte[] aggregate = WindowAggregateCodec.encode(part.getValue());
                out.writeLong(part.getKey());
                out.writeInt(aggregate.length);
                out.write(aggregate);
            }
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static HoppingParts decode(byte[] data) {
        try {
            var in = new DataInputStream(new ByteArrayInputStream(data));
            if (in.readByte() != 1) {
                throw new IllegalArgumentException("unknown hopping parts format");
            }
            HoppingParts result = new HoppingParts();
            result.lastEmittedEnd = in.readLong();
            int count = in.readInt();
            for (int i = 0; i < count; i++) {
                long start = in.readLong();
                byte[] aggregate = new byte[in.readInt()];
                in.readFully(aggregate);
                result.parts.put(start, WindowAggregateCodec.decode(aggregate));
            }
            return result;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
