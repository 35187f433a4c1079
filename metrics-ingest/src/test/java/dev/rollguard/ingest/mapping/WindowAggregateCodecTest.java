package dev.rollguard.ingest.mapping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.datadoghq.sketch.ddsketch.encoding.GrowingByteArrayOutput;
import dev.rollguard.ingest.domain.AggregateLimits;
import dev.rollguard.ingest.domain.ClientMoments;
import dev.rollguard.ingest.domain.EventExemplar;
import dev.rollguard.ingest.domain.Observation;
import dev.rollguard.ingest.domain.RecentError;
import dev.rollguard.ingest.domain.TelemetryKind;
import dev.rollguard.ingest.domain.WindowAggregate;
import dev.rollguard.schemas.guard.GuardMetrics;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The codec writes and reads the bytes that {@link java.io.DataOutputStream} wrote for format version 3 (kept below as
 * {@link #writtenByDataOutput}), for aggregates of every shape: strings that are ASCII, not ASCII, hold NUL or are
 * empty, NaN and negative zero among the moments, counters and sketches from empty to larger than any buffer the
 * codec keeps. {@code WindowAggregateFormatTest} pins one aggregate's bytes; this test covers the paths around it.
 */
class WindowAggregateCodecTest {

    private static final String[] TEXTS = {
        "TIMEOUT", "", "über quota", "nul\u0000inside", "emoji \uD83D\uDE80 and 日本語", "line\nbreak", "x".repeat(3000)
    };

    @Test
    void writesTheBytesOfFormatVersion3ForAggregatesOfEveryShape() throws IOException {
        SplittableRandom random = new SplittableRandom(5);
        for (int run = 0; run < 300; run++) {
            WindowAggregate aggregate = randomAggregate(random, run);

            byte[] encoded = WindowAggregateCodec.encode(aggregate);

            assertThat(encoded).isEqualTo(writtenByDataOutput(aggregate));
            WindowAggregate read = WindowAggregateCodec.decode(encoded);
            if (aggregate.clientMomentsOrNull() != null) {
                assertThat(WindowAggregateFormatTest.figures(read))
                        .isEqualTo(WindowAggregateFormatTest.figures(aggregate));
            } else {
                assertThat(read.clientMomentsOrNull()).isNull();
            }
            assertThat(WindowAggregateCodec.encode(read)).isEqualTo(encoded);
        }
    }

    @Test
    void writesEveryNaNAsTheCanonicalOneLikeDataOutputDid() throws IOException {
        WindowAggregate aggregate = new WindowAggregate(new AggregateLimits(0.01, 64, 3, 2));
        double[] sums = aggregate.clientMomentsOf(1);
        sums[0] = Double.longBitsToDouble(0xfff8_0000_0000_0000L);
        sums[1] = Double.longBitsToDouble(0x7ff0_0000_0000_0001L);
        sums[2] = -0.0;

        byte[] encoded = WindowAggregateCodec.encode(aggregate);

        assertThat(encoded).isEqualTo(writtenByDataOutput(aggregate));
        double[] read = WindowAggregateCodec.decode(encoded)
                .clientMomentsOrNull()
                .stages()
                .get(1L);
        assertThat(Double.doubleToRawLongBits(read[0])).isEqualTo(0x7ff8_0000_0000_0000L);
        assertThat(Double.doubleToRawLongBits(read[1])).isEqualTo(0x7ff8_0000_0000_0000L);
        assertThat(Double.doubleToRawLongBits(read[2])).isEqualTo(Double.doubleToRawLongBits(-0.0));
    }

    @Test
    void refusesTruncatedBytesAsAnIoFailure() {
        byte[] encoded = WindowAggregateCodec.encode(randomAggregate(new SplittableRandom(9), 4));
        for (int length : new int[] {0, 1, 100, encoded.length / 2, encoded.length - 1}) {
            assertThatThrownBy(() -> WindowAggregateCodec.decode(Arrays.copyOf(encoded, length)))
                    .isInstanceOf(UncheckedIOException.class);
        }
    }

    @Test
    void refusesAStringTooLongForTheFormatLikeDataOutputDid() {
        AggregateLimits limits = new AggregateLimits(0.01, 64, 3, 2);
        WindowAggregate aggregate = new WindowAggregate(limits);
        aggregate.add(observation(new SplittableRandom(1), "E".repeat(70_000), null, 1), limits);

        assertThatThrownBy(() -> WindowAggregateCodec.encode(aggregate)).isInstanceOf(UncheckedIOException.class);
        // The next encode on this thread starts afresh.
        assertThat(WindowAggregateCodec.decode(
                                WindowAggregateCodec.encode(new WindowAggregate(new AggregateLimits(0.01, 64, 3, 2))))
                        .eventCount())
                .isZero();
    }

    private static WindowAggregate randomAggregate(SplittableRandom random, int run) {
        // Every tenth aggregate counts up to 12 000 distinct clients: more bytes than the codec's buffers hold.
        int k = run % 10 == 0 ? 12_000 : 2 + random.nextInt(300);
        AggregateLimits limits = new AggregateLimits(0.01, k, 1 + random.nextInt(4), 1 + random.nextInt(4));
        WindowAggregate aggregate = new WindowAggregate(limits);
        int events = run % 10 == 0 ? 15_000 : random.nextInt(400);
        for (int i = 0; i < events; i++) {
            String code = random.nextInt(4) == 0 ? null : TEXTS[random.nextInt(TEXTS.length)];
            String message = random.nextBoolean() ? null : TEXTS[random.nextInt(TEXTS.length)];
            aggregate.add(observation(random, code, message, i), limits);
            if (random.nextInt(50) == 0) {
                aggregate.exemplar(new EventExemplar(
                        TEXTS[random.nextInt(TEXTS.length)] + i,
                        random.nextLong(1_000_000),
                        random.nextBoolean() ? null : TEXTS[random.nextInt(TEXTS.length)],
                        random.nextBoolean() ? null : "4bf92f3577b34da6a3ce929d0e0e4736"));
            }
        }
        // Every seventh aggregate has no moments (no flag under rollout), the others one to three stages.
        for (int stage = run % 7 == 0 ? 0 : 1 + random.nextInt(3); stage > 0; stage--) {
            double[] sums = aggregate.clientMomentsOf(random.nextLong(100));
            for (int i = random.nextInt(40); i > 0; i--) {
                sums[random.nextInt(GuardMetrics.COUNT * 6)] =
                        random.nextInt(10) == 0 ? 0.0 / 0.0 : random.nextGaussian();
            }
        }
        return aggregate;
    }

    private static Observation observation(SplittableRandom random, String code, String message, int i) {
        boolean success = code == null && message == null;
        return new Observation(
                random.nextBoolean() ? TelemetryKind.SYNC : TelemetryKind.UPLOAD,
                1_700_000_000_000L + random.nextInt(60_000),
                success,
                random.nextInt(10_000),
                random.nextLong(),
                random.nextInt(5) == 0 ? null : TEXTS[i % TEXTS.length],
                random.nextBoolean() ? -1 : random.nextLong(1L << 40),
                random.nextBoolean() ? -1 : 1L << 40,
                random.nextInt(-1, 100),
                random.nextInt(-1, 100),
                random.nextInt(-1, 100),
                random.nextLong(1 << 20),
                random.nextInt(10) == 0,
                code,
                message);
    }
    /** The codec of format version 3 as it was written with {@link DataOutputStream}, for comparison. */
    private static byte[] writtenByDataOutput(WindowAggregate aggregate) throws IOException {
        WindowAggregate.State s = aggregate.state();
        var bytes = new ByteArrayOutputStream(256);
        var out = new DataOutputStream(bytes);
        out.writeByte(3);
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
        ByteBuffer counter = ByteBuffer.allocate(s.clients().encodedSize());
        s.clients().write(counter);
        int k = counter.flip().getInt();
        int size = counter.getInt();
        out.writeInt(k);
        out.writeInt(size);
        for (int i = 0; i < size; i++) {
            out.writeLong(counter.getLong());
        }
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
            out.writeInt(s.moments().stages().size());
            for (var stage : s.moments().stages().entrySet()) {
                out.writeLong(stage.getKey());
                double[] sums = stage.getValue();
                int used = 0;
                for (int m = 0; m < GuardMetrics.COUNT; m++) {
                    if (!ClientMoments.zero(sums, m)) {
                        used++;
                    }
                }
                out.writeShort(used);
                for (int m = 0; m < GuardMetrics.COUNT; m++) {
                    if (!ClientMoments.zero(sums, m)) {
                        out.writeShort(m);
                        for (int p = 0; p < ClientMoments.WIDTH; p++) {
                            out.writeDouble(sums[m * ClientMoments.WIDTH + p]);
                        }
                    }
                }
            }
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
    }

    private static void writeNullable(DataOutputStream out, String value) throws IOException {
        out.writeBoolean(value != null);
        if (value != null) {
            out.writeUTF(value);
        }
    }
}
