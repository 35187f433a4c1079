package dev.rollguard.ingest.mapping;

import com.datadoghq.sketch.ddsketch.DDSketch;
import com.datadoghq.sketch.ddsketch.encoding.ByteArrayInput;
import com.datadoghq.sketch.ddsketch.encoding.Output;
import com.datadoghq.sketch.ddsketch.store.CollapsingLowestDenseStore;
import dev.rollguard.ingest.domain.ClientMoments;
import dev.rollguard.ingest.domain.DistinctCounter;
import dev.rollguard.ingest.domain.ErrorStat;
import dev.rollguard.ingest.domain.EventExemplar;
import dev.rollguard.ingest.domain.RecentError;
import dev.rollguard.ingest.domain.WindowAggregate;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
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
    /** Bytes ahead of the sketch: the version, 24 counters, 2 doubles. */
    private static final int HEAD = 1 + 24 * Long.BYTES + 2 * Long.BYTES;
    /** A thread keeps its scratch buffer up to this size; a larger one (a rare, huge aggregate) is let go. */
    private static final int KEPT_CAPACITY = 1 << 16;
    /**
     * Each thread encodes into a scratch buffer of its own and copies out the exact bytes: an aggregate is encoded
     * at every commit of a changed partial, every flush and every merge, and a fresh stream per encode that grows by
     * copies (with a second buffer for the sketch and a third for the counter) made garbage of several times its size.
     */
    private static final ThreadLocal<Sink> SCRATCH = ThreadLocal.withInitial(() -> new Sink(8 * 1024));

    private WindowAggregateCodec() {}

    public static byte[] encode(WindowAggregate aggregate) {
        WindowAggregate.State s = aggregate.state();
        Sink sink = SCRATCH.get();
        try {
            ByteBuffer out = sink.clear(HEAD);
            out.put((byte) VERSION);
            out.putLong(s.eventCount());
            out.putLong(s.successCount());
            out.putLong(s.syncCount());
            out.putLong(s.syncFailureCount());
            out.putLong(s.uploadCount());
            out.putLong(s.uploadFailureCount());
            out.putLong(s.durationSum());
            out.putLong(s.durationMin());
            out.putLong(s.durationMax());
            out.putLong(s.syncDurationSum());
            out.putLong(s.syncDurationMin());
            out.putLong(s.syncDurationMax());
            out.putLong(s.storagePctCount());
            out.putLong(s.lastStorageTime());
            out.putLong(s.lastStorageUsedBytes());
            out.putLong(s.lastStorageQuotaBytes());
            out.putLong(s.pendingMutationsMax());
            out.putLong(s.failedMutationsMax());
            out.putLong(s.syncQueueLengthMax());
            out.putLong(s.quotaExceededCount());
            out.putLong(s.uploadBytes());
            out.putLong(s.uploadDurationSum());
            out.putLong(s.firstEventTime());
            out.putLong(s.lastEventTime());
            putDouble(out, s.storagePctSum());
            putDouble(out, s.storagePctMax());
            // The sketch writes itself straight into the buffer, behind its length, filled in after.
            sink.room(Integer.BYTES).putInt(0);
            int sketchAt = sink.buffer().position();
            s.durations().encode(sink, false);
            out = sink.buffer();
            out.putInt(sketchAt - Integer.BYTES, out.position() - sketchAt);
            s.clients().write(sink.room(s.clients().encodedSize()));
            sink.room(Integer.BYTES).putInt(s.errors().size());
            for (var e : s.errors().entrySet()) {
                writeUtf(sink, e.getKey());
                sink.room(Long.BYTES).putLong(e.getValue().count());
                writeNullable(sink, e.getValue().lastMessage());
                sink.room(Long.BYTES).putLong(e.getValue().lastTime());
            }
            sink.room(Integer.BYTES).putInt(s.recentErrors().size());
            for (RecentError e : s.recentErrors()) {
                sink.room(Long.BYTES).putLong(e.time());
                writeNullable(sink, e.table());
                writeUtf(sink, e.code());
                writeNullable(sink, e.message());
            }
            if (s.moments() == null) {
                sink.room(Integer.BYTES).putInt(0);
            } else {
                s.moments().write(sink.room(s.moments().encodedSize()));
            }
            sink.room(Integer.BYTES).putInt(s.exemplars().size());
            for (EventExemplar e : s.exemplars()) {
                writeUtf(sink, e.eventId());
                sink.room(Long.BYTES).putLong(e.eventTime());
                writeNullable(sink, e.requestId());
                writeNullable(sink, e.traceId());
            }
            out = sink.buffer();
            return Arrays.copyOf(out.array(), out.position());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (sink.buffer().capacity() > KEPT_CAPACITY) {
                SCRATCH.remove();
            }
        }
    }

    /** Reads an aggregate of any version written so far. */
    public static WindowAggregate decode(byte[] data) {
        try {
            return decode(ByteBuffer.wrap(data));
        } catch (BufferUnderflowException e) {
            // What reading past the end was before, with DataInputStream.
            throw new UncheckedIOException(new EOFException("window aggregate truncated at " + data.length + " bytes"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static WindowAggregate decode(ByteBuffer in) throws IOException {
        int version = in.get();
        if (version < 1 || version > VERSION) {
            throw new IllegalArgumentException("unknown window aggregate format " + version);
        }
        long eventCount = in.getLong();
        long successCount = in.getLong();
        long syncCount = in.getLong();
        long syncFailureCount = in.getLong();
        long uploadCount = in.getLong();
        long uploadFailureCount = in.getLong();
        long durationSum = in.getLong();
        long durationMin = in.getLong();
        long durationMax = in.getLong();
        long syncDurationSum = in.getLong();
        long syncDurationMin = in.getLong();
        long syncDurationMax = in.getLong();
        long storagePctCount = in.getLong();
        long lastStorageTime = in.getLong();
        long lastStorageUsedBytes = in.getLong();
        long lastStorageQuotaBytes = in.getLong();
        long pendingMutationsMax = in.getLong();
        long failedMutationsMax = in.getLong();
        long syncQueueLengthMax = in.getLong();
        long quotaExceededCount = in.getLong();
        long uploadBytes = in.getLong();
        long uploadDurationSum = in.getLong();
        long firstEventTime = in.getLong();
        long lastEventTime = in.getLong();
        double storagePctSum = Double.longBitsToDouble(in.getLong());
        double storagePctMax = Double.longBitsToDouble(in.getLong());
        int sketchLength = in.getInt();
        if (sketchLength < 0 || sketchLength > in.remaining()) {
            throw new BufferUnderflowException();
        }
        // Decoded in place, without a copy of its bytes.
        DDSketch durations = DDSketch.decode(
                ByteArrayInput.wrap(in.array(), in.position(), sketchLength),
                () -> new CollapsingLowestDenseStore(WindowAggregate.SKETCH_MAX_BINS));
        in.position(in.position() + sketchLength);
        DistinctCounter clients = DistinctCounter.read(in);
        // In the order written, which is the order the aggregate had them in.
        Map<String, ErrorStat> errors = new LinkedHashMap<>();
        int errorCount = in.getInt();
        for (int i = 0; i < errorCount; i++) {
            String code = readUtf(in);
            errors.put(code, new ErrorStat(in.getLong(), readNullable(in), in.getLong()));
        }
        List<RecentError> recentErrors = new ArrayList<>();
        int recentCount = in.getInt();
        for (int i = 0; i < recentCount; i++) {
            recentErrors.add(new RecentError(in.getLong(), readNullable(in), readUtf(in), readNullable(in)));
        }
        ClientMoments moments = null;
        if (version >= 2) {
            ClientMoments read = ClientMoments.read(in);
            moments = read.isEmpty() ? null : read;
        }
        List<EventExemplar> exemplars = new ArrayList<>();
        if (version >= 3) {
            int exemplarCount = in.getInt();
            for (int i = 0; i < exemplarCount; i++) {
                exemplars.add(new EventExemplar(readUtf(in), in.getLong(), readNullable(in), readNullable(in)));
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
    }

    /** A double as {@link java.io.DataOutput#writeDouble} writes it: {@link Double#doubleToLongBits}, NaN canonical. */
    private static void putDouble(ByteBuffer out, double value) {
        out.putLong(Double.doubleToLongBits(value));
    }

    private static void writeNullable(Sink sink, String value) throws IOException {
        sink.room(1).put((byte) (value != null ? 1 : 0));
        if (value != null) {
            writeUtf(sink, value);
        }
    }

    private static String readNullable(ByteBuffer in) throws IOException {
        return in.get() != 0 ? readUtf(in) : null;
    }

    /**
     * A string in the modified UTF-8 of {@link java.io.DataOutput#writeUTF}: written here when every character is
     * ASCII other than NUL (one byte each, as writeUTF writes them), by writeUTF itself otherwise.
     */
    private static void writeUtf(Sink sink, String value) throws IOException {
        int length = value.length();
        if (length <= 0xFFFF) {
            ByteBuffer out = sink.room(Short.BYTES + length);
            int start = out.position();
            out.putShort((short) length);
            int i = 0;
            for (; i < length; i++) {
                char c = value.charAt(i);
                if (c == 0 || c >= 0x80) {
                    break;
                }
                out.put((byte) c);
            }
            if (i == length) {
                return;
            }
            out.position(start);
        }
        var bytes = new ByteArrayOutputStream(Short.BYTES + 3 * length);
        new DataOutputStream(bytes).writeUTF(value);
        sink.room(bytes.size()).put(bytes.toByteArray());
    }

    /** A string written by {@link #writeUtf}: ASCII read here, anything else by {@link DataInputStream#readUTF}. */
    private static String readUtf(ByteBuffer in) throws IOException {
        int start = in.position();
        int length = Short.toUnsignedInt(in.getShort());
        if (length > in.remaining()) {
            throw new BufferUnderflowException();
        }
        byte[] data = in.array();
        int from = in.arrayOffset() + in.position();
        in.position(in.position() + length);
        for (int i = from; i < from + length; i++) {
            if (data[i] < 0) {
                return new DataInputStream(
                                new ByteArrayInputStream(data, in.arrayOffset() + start, Short.BYTES + length))
                        .readUTF();
            }
        }
        return new String(data, from, length, StandardCharsets.ISO_8859_1);
    }

    /**
     * A growing buffer that the sketch writes to ({@link Output}) as well as the codec; {@link #room} makes room and
     * answers the buffer to write to, which is a new one after it grew.
     */
    private static final class Sink implements Output {

        private ByteBuffer buffer;

        Sink(int capacity) {
            buffer = ByteBuffer.allocate(capacity);
        }

        ByteBuffer clear(int bytes) {
            buffer.clear();
            return room(bytes);
        }

        ByteBuffer buffer() {
            return buffer;
        }

        ByteBuffer room(int bytes) {
            if (buffer.remaining() < bytes) {
                int capacity = Math.max(2 * buffer.capacity(), buffer.position() + bytes);
                buffer = ByteBuffer.allocate(capacity).put(buffer.flip());
            }
            return buffer;
        }

        @Override
        public void writeByte(byte value) {
            room(1).put(value);
        }

        @Override
        public void writeLongLE(long value) {
            room(Long.BYTES).putLong(Long.reverseBytes(value));
        }
    }
}
