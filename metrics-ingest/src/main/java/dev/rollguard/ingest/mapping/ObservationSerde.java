package dev.rollguard.ingest.mapping;

import dev.rollguard.ingest.domain.Observation;
import dev.rollguard.ingest.domain.TelemetryKind;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Compact binary form of an {@link Observation} on the internal repartition topic. Internal to one application
 * version; a leading format byte lets a later version refuse (not misread) records of another format.
 */
public final class ObservationSerde implements Serde<Observation> {

    private static final byte FORMAT = 1;

    @Override
    public Serializer<Observation> serializer() {
        return (topic, o) -> o == null ? null : write(o);
    }

    @Override
    public Deserializer<Observation> deserializer() {
        return (topic, data) -> data == null ? null : read(data);
    }

    static byte[] write(Observation o) {
        try {
            var bytes = new ByteArrayOutputStream(96);
            var out = new DataOutputStream(bytes);
            out.writeByte(FORMAT);
            out.writeByte(o.kind().ordinal());
            out.writeLong(o.eventTime());
            out.writeBoolean(o.success());
            out.writeLong(o.durationMs());
            out.writeLong(o.clientHash());
            writeNullable(out, o.table());
            out.writeLong(o.storageUsedBytes());
            out.writeLong(o.storageQuotaBytes());
            out.writeInt(o.pendingMutations());
            out.writeInt(o.failedMutations());
            out.writeInt(o.syncQueueLength());
            out.writeLong(o.bytes());
            out.writeBoolean(o.quotaExceeded());
            writeNullable(out, o.errorCode());
            writeNullable(out, o.errorMessage());
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new SerializationException("cannot write observation", e);
        }
    }

    static Observation read(byte[] data) {
        try {
            var in = new DataInputStream(new ByteArrayInputStream(data));
            byte format = in.readByte();
            if (format != FORMAT) {
                throw new SerializationException("unknown observation format " + format);
            }
            return new Observation(
                    TelemetryKind.values()[in.readByte()],
                    in.readLong(),
                    in.readBoolean(),
                    in.readLong(),
                    in.readLong(),
                    readNullable(in),
                    in.readLong(),
                    in.readLong(),
                    in.readInt(),
                    in.readInt(),
                    in.readInt(),
                    in.readLong(),
                    in.readBoolean(),
                    readNullable(in),
                    readNullable(in));
        } catch (IOException e) {
            throw new SerializationException("cannot read observation", e);
        }
    }

    private static void writeNullable(DataOutputStream out, String value) throws IOException {
        out.writeBoolean(value != null);
        if (value != null) {
            out.writeUTF(value);
        }
    }

    private static String readNullable(DataInputStream in) throws IOException {
        return in.readBoolean() ? in.readUTF() : null;
    }
}
