package dev.rollguard.ingest.domain;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.schemas.guard.GuardMetrics;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The encoding of a client's stage state: what is read back equals what was written (checked through what the state
 * contributes to the client-level sums, and through its next events), in the compact encoding and in the fixed-width
 * one that earlier versions wrote to the changelog.
 */
class ClientStageTest {

    private static final int WIDTH = GuardMetrics.COUNT * ClientMoments.WIDTH;

    private static Observation event(Random random, long time) {
        boolean sync = random.nextBoolean();
        return new Observation(
                sync ? TelemetryKind.SYNC : TelemetryKind.UPLOAD,
                time,
                random.nextInt(10) > 0,
                random.nextInt(20_000),
                0,
                "notes",
                random.nextInt(50_000_000),
                // Storage used as a share of the quota is not a whole number.
                256L * 1024 * 1024,
                random.nextInt(40),
                random.nextInt(3),
                random.nextInt(5),
                sync ? 0 : random.nextInt(5_000_000),
                random.nextInt(50) == 0,
                null,
                null);
    }

    private static ClientStage stageOf(Random random, int events) {
        ClientStage stage = new ClientStage();
        double[] sums = new double[WIDTH];
        for (int i = 0; i < events; i++) {
            stage.add(event(random, 1_700_000_000_000L + i * 1_000L), sums);
        }
        return stage;
    }

    /** What a state contributes to the sums: its retraction, negated. */
    private static double[] contribution(ClientStage stage) {
        double[] sums = new double[WIDTH];
        stage.retract(sums);
        return sums;
    }

    /** What the same next events add to the sums from a state. */
    private static double[] next(ClientStage stage, long seed) {
        Random random = new Random(seed);
        double[] sums = new double[WIDTH];
        for (int i = 0; i < 5; i++) {
            stage.add(event(random, 1_800_000_000_000L + i), sums);
        }
        return sums;
    }

    @Test
    void theCompactEncodingReadsBackTheSameState() {
        Random random = new Random(11);
        for (int n = 0; n < 200; n++) {
            ClientStage written = stageOf(random, 1 + random.nextInt(30));
            ClientStage read = ClientStage.fromBytes(written.toBytes());
            assertThat(read.lastSeen()).isEqualTo(written.lastSeen());
            assertThat(contribution(read)).containsExactly(contribution(written));
            assertThat(read.toBytes()).isEqualTo(written.toBytes());
            assertThat(next(read, n)).containsExactly(next(written, n));
        }
    }

    @Test
    void theFixedWidthEncodingOfEarlierVersionsIsStillRead() {
        Random random = new Random(12);
        for (int n = 0; n < 50; n++) {
            ClientStage written = stageOf(random, 1 + random.nextInt(30));
            byte[] fixed = written.toFixedWidth();
            assertThat(fixed).hasSize(ClientStage.FIXED_LENGTH);
            ClientStage read = ClientStage.fromBytes(fixed);
            assertThat(read.lastSeen()).isEqualTo(written.lastSeen());
            assertThat(contribution(read)).containsExactly(contribution(written));
            assertThat(next(read, n)).containsExactly(next(written, n));
        }
    }

    @Test
    void aNewStateAndOneWithFewEventsAreSmall() {
        ClientStage empty = new ClientStage();
        assertThat(ClientStage.fromBytes(empty.toBytes()).lastSeen()).isEqualTo(Long.MIN_VALUE);
        assertThat(contribution(ClientStage.fromBytes(empty.toBytes()))).containsExactly(contribution(empty));
        ClientStage few = stageOf(new Random(13), 3);
        assertThat(few.toBytes().length).isLessThan(ClientStage.FIXED_LENGTH / 3);
    }

    @Test
    void statesWithTheSameFiguresAreAlikeAndEncodeAlike() {
        for (int events = 0; events < 40; events += 7) {
            ClientStage one = stageOf(new Random(events), events);
            ClientStage same = stageOf(new Random(events), events);
            assertThat(one.sameAs(same)).isTrue();
            assertThat(one.toBytes()).isEqualTo(same.toBytes());
            ClientStage other = stageOf(new Random(events + 1_000), events + 1);
            assertThat(one.sameAs(other)).isFalse();
            assertThat(other.sameAs(one)).isFalse();
            assertThat(one.toBytes().length).isLessThanOrEqualTo(ClientStage.MAX_ENCODED_LENGTH);
        }
    }
}
