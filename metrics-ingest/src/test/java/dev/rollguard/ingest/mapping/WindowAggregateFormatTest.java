package dev.rollguard.ingest.mapping;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.ingest.domain.AggregateLimits;
import dev.rollguard.ingest.domain.EventExemplar;
import dev.rollguard.ingest.domain.Observation;
import dev.rollguard.ingest.domain.TelemetryKind;
import dev.rollguard.ingest.domain.WindowAggregate;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The binary format of a window aggregate, as the window stores, their changelogs, the repartition topic and the
 * internal windows endpoint carry it. Running deployments hold records in this format, so it must not change: the
 * fixture below was written by the codec as it stood when it still lived in {@code WindowAggregate} (format version
 * 3), from the aggregate {@link #fullyPopulated()} builds, every field set; {@link WindowAggregateCodec} must write
 * and read the same bytes.
 */
class WindowAggregateFormatTest {

    static final AggregateLimits LIMITS = new AggregateLimits(0.01, 64, 3, 2);

    /** The bytes of {@link #fullyPopulated()}, in hexadecimal. */
    static final String FIXTURE =
            """
            030000000000000007000000000000000200000000000000050000000000000004000000000000000200000000000000010000000000001c
            5300000000000000070000000000000d48000000000000192400000000000000070000000000000d4800000000000000030000018bcfe569
            2c0000000000002ee000000000000186a0000000000000000600000000000000020000000000000000000000000000000100000000003e82
            00000000000000032f0000018bcfe568320000018bcfe569a44053400000000000404b8000000000000000002502fd4a815abf52f03f0000
            0000000000000507c2010218023402d00102be0102800102100200000040000000060080808080808080010101010101010107f6e5d4c3b2
            a190091a2b3c4d5e6f783bbb8000088891116eeee6665dddd555000000030004524152450000000000000001010004726172650000018bcf
            e569a4000754494d454f555400000000000000020100207468652073657276657220646964206e6f7420616e737765720a696e2033207300
            00018bcfe5692c0007554e4b4e4f574e00000000000000010100076e6f20636f64650000018bcfe5699a000000020000018bcfe569a40100
            056e6f746573000452415245010004726172650000018bcfe5699a0100056e6f7465730007554e4b4e4f574e0100076e6f20636f64650000
            00020000000000000003000200003ff8000000000000400800000000000040120000000000004018000000000000401e0000000000004022
            00000000000000048000000000000000bfd0000000000000bfe0000000000000bfe8000000000000bff0000000000000bff4000000000000
            0000000000000004000100070000000000000000000000000000000040450000000000000000000000000000000000000000000000000000
            00000000000000030005652d3235300000018bcfe568fa0100077265712d3235300100203462663932663335373762333464613661336365
            3932396430653065343733360005652d3330300000018bcfe5692c00000005652d3430300000018bcfe569900100077265712d34303000
            """
                    .replace("\n", "");

    static Observation event(
            TelemetryKind kind,
            long time,
            boolean success,
            long duration,
            long clientHash,
            String table,
            long usedBytes,
            long quotaBytes,
            long bytes,
            boolean quotaExceeded,
            String errorCode,
            String errorMessage) {
        return new Observation(
                kind,
                time,
                success,
                duration,
                clientHash,
                table,
                usedBytes,
                quotaBytes,
                (int) (time % 7),
                (int) (time % 3),
                (int) (time % 5),
                bytes,
                quotaExceeded,
                errorCode,
                errorMessage);
    }

    /** Syncs and uploads, successes and failures of four codes (one evicted), storage, moments and exemplars. */
    static WindowAggregate fullyPopulated() {
        WindowAggregate a = new WindowAggregate(LIMITS);
        TelemetryKind sync = TelemetryKind.SYNC;
        TelemetryKind upload = TelemetryKind.UPLOAD;
        a.add(
                event(
                        sync,
                        1_700_000_000_100L,
                        true,
                        120,
                        0x1234_5678_9abc_def0L,
                        "notes",
                        10_000,
                        100_000,
                        0,
                        false,
                        null,
                        null),
                LIMITS);
        a.add(
                event(
                        sync,
                        1_700_000_000_250L,
                        false,
                        3_400,
                        0x0fed_cba9_8765_4321L,
                        "notes",
                        -1,
                        -1,
                        0,
                        false,
                        "TIMEOUT",
                        "the server did not answer\nin 3 s"),
                LIMITS);
        a.add(
                event(
                        sync,
                        1_700_000_000_300L,
                        false,
                        2_900,
                        0x0fed_cba9_8765_4321L,
                        null,
                        12_000,
                        100_000,
                        0,
                        true,
                        "TIMEOUT",
                        null),
                LIMITS);
        a.add(
                event(
                        upload,
                        1_700_000_000_050L,
                        true,
                        800,
                        0x7777_0000_1111_2222L,
                        "photos",
                        55_000,
                        100_000,
                        4_096_000,
                        false,
                        null,
                        null),
                LIMITS);
        a.add(
                event(
                        upload,
                        1_700_000_000_400L,
                        false,
                        15,
                        -0x2222_3333_4444_5555L,
                        "photos",
                        -1,
                        -1,
                        512,
                        false,
                        "QUOTA_EXCEEDED",
                        "über quota"),
                LIMITS);
        a.add(
                event(
                        sync,
                        1_700_000_000_410L,
                        false,
                        7,
                        0x0101_0101_0101_0101L,
                        "notes",
                        -1,
                        -1,
                        0,
                        false,
                        null,
                        "no code"),
                LIMITS);
        a.add(
                event(
                        sync,
                        1_700_000_000_420L,
                        false,
                        9,
                        0x0202_0202_0202_0202L,
                        "notes",
                        -1,
                        -1,
                        0,
                        false,
                        "RARE",
                        "rare"),
                LIMITS);
        double[] stage3 = a.clientMomentsOf(3);
        for (int p = 0; p < 6; p++) {
            stage3[p] = 1.5 * (p + 1);
            stage3[6 * 4 + p] = -0.25 * p;
        }
        a.clientMomentsOf(4)[6 * 7 + 2] = 42;
        a.exemplar(new EventExemplar("e-250", 1_700_000_000_250L, "req-250", "4bf92f3577b34da6a3ce929d0e0e4736"));
        a.exemplar(new EventExemplar("e-300", 1_700_000_000_300L, null, null));
        a.exemplar(new EventExemplar("e-400", 1_700_000_000_400L, "req-400", null));
        return a;
    }

    @Test
    void encodesAFullyPopulatedAggregateAsTheStoredBytes() {
        assertThat(HexFormat.of().formatHex(encode(fullyPopulated()))).isEqualTo(FIXTURE);
    }

    @Test
    void decodesTheStoredBytesIntoTheSameAggregate() {
        byte[] stored = HexFormat.of().parseHex(FIXTURE);

        WindowAggregate read = decode(stored);

        assertThat(figures(read)).isEqualTo(figures(fullyPopulated()));
        assertThat(read.eventCount()).isEqualTo(7);
        assertThat(read.syncFailureCount()).isEqualTo(4);
        assertThat(read.uploadFailureCount()).isEqualTo(1);
        assertThat(read.distinctClients()).isEqualTo(6);
        assertThat(read.topErrors()).extracting(e -> e.getKey()).containsExactly("TIMEOUT", "RARE", "UNKNOWN");
        assertThat(read.exemplars()).extracting(EventExemplar::eventId).containsExactly("e-250", "e-300", "e-400");
        assertThat(read.clientMomentsOrNull().stages().get(3L)[5]).isEqualTo(9.0);
        assertThat(encode(read)).isEqualTo(stored);
    }

    /** Every figure an aggregate answers with, the sketch's own bytes and the moments included. */
    static List<Object> figures(WindowAggregate a) {
        Map<Long, List<Double>> moments = new TreeMap<>();
        a.clientMomentsOrNull()
                .stages()
                .forEach((stage, sums) ->
                        moments.put(stage, Arrays.stream(sums).boxed().toList()));
        return Arrays.asList(
                a.eventCount(),
                a.successCount(),
                a.syncCount(),
                a.syncFailureCount(),
                a.uploadCount(),
                a.uploadFailureCount(),
                a.durationMinMs(),
                a.durationMaxMs(),
                a.durationAvgMs(),
                a.syncDurationMinMs(),
                a.syncDurationMaxMs(),
                a.syncDurationAvgMs(),
                a.durationQuantileMs(0.5),
                a.durationQuantileMs(0.99),
                HexFormat.of().formatHex(a.durationSketchBytes()),
                a.storageUsedPctMax(),
                a.storageUsedPctAvg(),
                a.lastStorageUsedBytes(),
                a.lastStorageQuotaBytes(),
                a.pendingMutationsMax(),
                a.failedMutationsMax(),
                a.syncQueueLengthMax(),
                a.quotaExceededCount(),
                a.distinctClients(),
                a.uploadBytes(),
                a.uploadThroughputBytesPerSec(),
                a.firstEventTime(),
                a.latestEventTime(),
                a.topErrors(),
                a.recentErrors(),
                a.exemplars(),
                moments);
    }

    private static byte[] encode(WindowAggregate aggregate) {
        return WindowAggregateCodec.encode(aggregate);
    }

    private static WindowAggregate decode(byte[] stored) {
        return WindowAggregateCodec.decode(stored);
    }
}
