package dev.rollguard.ingest.mapping;

import com.datadoghq.sketch.ddsketch.DDSketch;
import com.datadoghq.sketch.ddsketch.encoding.ByteArrayInput;
import com.datadoghq.sketch.ddsketch.encoding.GrowingByteArrayOutput;
import com.datadoghq.sketch.ddsketch.store.CollapsingLowestDenseStore;
import dev.rollguard.ingest.domain.ClientMoments;
import dev.rollguard.ingest.domain.DistinctCounter;
import dev.rollguard.ingest.domain.ErrorStat;
import dev.rollguard.ingest.domain.EventExemplar;
import dev.rollguard.ingest.domain.RecentError;
import dev.rollguard.ingest.domain.WindowAggregate;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInput;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The binary format of a {@link WindowAggregate}, in the window stores, their changelogs, the repartition topic and
 * the internal windows endpoint: a format version, the counters, the duration sketch in DDSketch's own encoding, the
 * distinct-client counter, the error codes, the recent errors, the client moments (since version 2) and the
 * exemplars (since version 3). Running deployments hold records in it, so a change is a new version that still reads
 * the earlier ones; {@code WindowAggregateFormatTest} holds the bytes of version 3.
 */
public final class WindowAggregateCodec {

    /** The version written: 2 added the client moments, 3 the exemplars. */
    private static final int VERSION = 3;

    private WindowAggregateCodec() {}

    public static byte[] encode(WindowAggregate aggregate) {
        WindowAggregate.State s = aggregate.state();
        try {
            var bytes = new ByteArrayOutputStream(256);
            var out = new DataOutputStream(bytes);
            out.writeByte(VERSION);
            for (long v : new long[] {
                s.eventCount(),
                s.successCount(),
                s.syncCount(),
                s.syncFailureCount(),
                s.uploadCount(),
                s.uploadFailureCount(),
                s.durationSum(),
                s.durationMin(),
                s.durationMax(),
                s.syncDurationSum(),
                s.syncDurationMin(),
                s.syncDurationMax(),
                s.storagePctCount(),
                s.lastStorageTime(),
                s.lastStorageUsedBytes(),
                s.lastStorageQuotaBytes(),
                s.pendingMutationsMax(),
                s.failedMutationsMax(),
                s.syncQueueLengthMax(),
                s.quotaExceededCount(),
                s.uploadBytes(),
                s.uploadDurationSum(),
                s.firstEventTime(),
                s.lastEventTime()
            }) {
                out.writeLong(v);
            }
            out.writeDouble(s.storagePctSum());
            out.writeDouble(s.storagePctMax());
            GrowingByteArrayOutput sketchOut = GrowingByteArrayOutput.withDefaultInitialCapacity();
            s.durations().encode(sketchOut, false);
            byte[] sketch = sketchOut.trimmedCopy();
            out.writeInt(sketch.length);
            out.write(sketch);
            s.clients().write(out);
            out.writeInt(s.errors().size());
            for (var e : s.errors().entrySet()) {
                out.writeUTF(e.getKey());
                out.writeLong(e.getValue().count());
                writeNullable(out, e.getValue().lastMessage());
                out.writeLong(e.getValue().lastTime());
            }
            out.writeInt(s.recentErrors().size());
            for (RecentError e : s.recentErrors()) {
                out.writeLong(e.time());
                writeNullable(out, e.table());
                out.writeUTF(e.code());
                writeNullable(out, e.message());
            }
            if (s.moments() == null) {
                out.writeInt(0);
            } else {
                s.moments().write(out);
            }
            out.writeInt(s.exemplars().size());
            for (EventExemplar e : s.exemplars()) {
                out.writeUTF(e.eventId());
                out.writeLong(e.eventTime());
                writeNullable(out, e.requestId());
                writeNullable(out, e.traceId());
            }
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads an aggregate of any version written so far. */
    public static WindowAggregate decode(byte[] data) {
        try {
            var in = new DataInputStream(new ByteArrayInputStream(data));
            int version = in.readByte();
            if (version < 1 || version > VERSION) {
                throw new IllegalArgumentException("unknown window aggregate format " + version);
            }
            long eventCount = in.readLong();
            long successCount = in.readLong();
            long syncCount = in.readLong();
            long syncFailureCount = in.readLong();
            long uploadCount = in.readLong();
            long uploadFailureCount = in.readLong();
            long durationSum = in.readLong();
            long durationMin = in.readLong();
            long durationMax = in.readLong();
            long syncDurationSum = in.readLong();
            long syncDurationMin = in.readLong();
            long syncDurationMax = in.readLong();
            long storagePctCount = in.readLong();
            long lastStorageTime = in.readLong();
            long lastStorageUsedBytes = in.readLong();
            long lastStorageQuotaBytes = in.readLong();
            long pendingMutationsMax = in.readLong();
            long failedMutationsMax = in.readLong();
            long syncQueueLengthMax = in.readLong();
            long quotaExceededCount = in.readLong();
            long uploadBytes = in.readLong();
            long uploadDurationSum = in.readLong();
            long firstEventTime = in.readLong();
            long lastEventTime = in.readLong();
            double storagePctSum = in.readDouble();
            double storagePctMax = in.readDouble();
            byte[] sketch = new byte[in.readInt()];
            in.readFully(sketch);
            DDSketch durations = DDSketch.decode(
                    ByteArrayInput.wrap(sketch), () -> new CollapsingLowestDenseStore(WindowAggregate.SKETCH_MAX_BINS));
            DistinctCounter clients = DistinctCounter.read(in);
            // In the order written, which is the order the aggregate had them in.
            Map<String, ErrorStat> errors = new LinkedHashMap<>();
            int errorCount = in.readInt();
            for (int i = 0; i < errorCount; i++) {
                String code = in.readUTF();
                errors.put(code, new ErrorStat(in.readLong(), readNullable(in), in.readLong()));
            }
            List<RecentError> recentErrors = new ArrayList<>();
            int recentCount = in.readInt();
            for (int i = 0; i < recentCount; i++) {
                recentErrors.add(new RecentError(in.readLong(), readNullable(in), in.readUTF(), readNullable(in)));
            }
            ClientMoments moments = null;
            if (version >= 2) {
                ClientMoments read = ClientMoments.read(in);
                moments = read.isEmpty() ? null : read;
            }
            List<EventExemplar> exemplars = new ArrayList<>();
            if (version >= 3) {
                int exemplarCount = in.readInt();
                for (int i = 0; i < exemplarCount; i++) {
                    exemplars.add(new EventExemplar(in.readUTF(), in.readLong(), readNullable(in), readNullable(in)));
                }
            }
            return WindowAggregate.restore(new WindowAggregate.State(
                    eventCount,
                    successCount,
                    syncCount,
                    syncFailureCount,
                    uploadCount,
                    uploadFailureCount,
                    durationSum,
                    durationMin,
                    durationMax,
                    syncDurationSum,
                    syncDurationMin,
                    syncDurationMax,
                    storagePctCount,
                    lastStorageTime,
                    lastStorageUsedBytes,
                    lastStorageQuotaBytes,
                    pendingMutationsMax,
                    failedMutationsMax,
                    syncQueueLengthMax,
                    quotaExceededCount,
                    uploadBytes,
                    uploadDurationSum,
                    firstEventTime,
                    lastEventTime,
                    storagePctSum,
                    storagePctMax,
                    durations,
                    clients,
                    errors,
                    recentErrors,
                    moments,
                    exemplars));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void writeNullable(DataOutputStream out, String value) throws IOException {
        out.writeBoolean(value != null);
        if (value != null) {
            out.writeUTF(value);
        }
    }

    private static String readNullable(DataInput in) throws IOException {
        return in.readBoolean() ? in.readUTF() : null;
    }
}
