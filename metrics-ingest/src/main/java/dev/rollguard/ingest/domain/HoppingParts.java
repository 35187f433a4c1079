package dev.rollguard.ingest.domain;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.TreeMap;

/**
 * The closed tumbling windows of one scope that hopping windows still need, by start time, and the end of the last
 * hopping window emitted for the scope.
 */
public final class HoppingParts {

    public long lastEmittedEnd = Long.MIN_VALUE;
    public final TreeMap<Long, WindowAggregate> parts = new TreeMap<>();

    public byte[] toBytes() {
        try {
            var bytes = new ByteArrayOutputStream();
            var out = new DataOutputStream(bytes);
            out.writeByte(1);
            out.writeLong(lastEmittedEnd);
            out.writeInt(parts.size());
            for (Map.Entry<Long, WindowAggregate> part : parts.entrySet()) {
                byte[] aggregate = part.getValue().toBytes();
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

    public static HoppingParts fromBytes(byte[] data, AggregateLimits limits) {
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
                result.parts.put(start, WindowAggregate.fromBytes(aggregate, limits));
            }
            return result;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
