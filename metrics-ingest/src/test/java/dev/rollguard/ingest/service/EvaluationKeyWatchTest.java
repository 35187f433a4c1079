package dev.rollguard.ingest.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.ingest.domain.CohortAssignment;
import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.EvaluatedKeysEvent;
import dev.rollguard.schemas.keys.KeyDigest;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The warning for events without exposures whose subject the flag-service never evaluated the flag for. */
class EvaluationKeyWatchTest {

    private static final long MINUTE = Duration.ofMinutes(1).toMillis();
    private static final SimpleMeterRegistry REGISTRY = new SimpleMeterRegistry();

    private final AtomicLong now = new AtomicLong(1_764_676_800_000L);
    private final String flag = "checkout-" + UUID.randomUUID();
    private final EvaluatedKeyDigests digests = new EvaluatedKeyDigests(60 * MINUTE, 5 * MINUTE);
    private final EvaluationKeyWatch watch = new EvaluationKeyWatch(
            new EvaluationKeyWatch.Settings(60 * MINUTE, 10 * MINUTE, MINUTE, 200, 0.5, 1_000, 5 * MINUTE),
            digests,
            now::get);

    @BeforeAll
    static void registry() {
        Metrics.addRegistry(REGISTRY);
    }

    @AfterAll
    static void noRegistry() {
        Metrics.removeRegistry(REGISTRY);
    }

    @Test
    void anAppThatEvaluatesWithEmailsButReportsUserIdsIsWarnedAbout() {
        publish("instance-a", IntStream.range(0, 500).mapToObj(i -> "user-" + i + "@example.com"), 10 * MINUTE);
        now.addAndGet(10 * MINUTE);
        report(0, 300, false);
        assertThat(watch.warnings()).as("not before the events settled").isEmpty();

        now.addAndGet(MINUTE);
        watch.tick();
        assertThat(watch.warnings()).containsOnlyKeys(flag);
        assertThat(watch.warnings().get(flag))
                .startsWith("300 of 300 events without exposures in the last 10m (100 %)");
        assertThat(unseenCounted()).isEqualTo(300);
    }

    @Test
    void anAppThatEvaluatesWithTheUserIdIsNotWarnedAbout() {
        publish("instance-a", IntStream.range(0, 250).mapToObj(i -> "user-" + i), 10 * MINUTE);
        publish("instance-b", IntStream.range(250, 500).mapToObj(i -> "user-" + i), 10 * MINUTE);
        now.addAndGet(10 * MINUTE);
        report(0, 500, false);
        now.addAndGet(2 * MINUTE);
        watch.tick();
        assertThat(watch.warnings()).isEmpty();
        assertThat(unseenCounted()).isZero();
    }

    @Test
    void aSubjectEvaluatedJustBeforeItsEventCountsOnceTheDigestArrivesWithinTheSettleTime() {
        publish("instance-a", IntStream.range(0, 10).mapToObj(i -> "old-" + i), 10 * MINUTE);
        now.addAndGet(10 * MINUTE);
        report(0, 300, false);
        now.addAndGet(MINUTE / 2);
        publish("instance-a", IntStream.range(0, 300).mapToObj(i -> "user-" + i), 0);
        now.addAndGet(MINUTE);
        watch.tick();
        assertThat(watch.warnings()).isEmpty();
        assertThat(unseenCounted()).isZero();
    }

    @Test
    void belowTheMinimumOrTheShareNothingIsRaisedAndEventsWithExposuresAreNotChecked() {
        publish("instance-a", IntStream.range(0, 300).mapToObj(i -> "user-" + i), 10 * MINUTE);
        now.addAndGet(10 * MINUTE);
        report(1_000, 1_199, false); // 199 never evaluated: below the minimum of 200 checked
        report(2_000, 2_500, true); // reported exposures: not checked
        now.addAndGet(2 * MINUTE);
        watch.tick();
        assertThat(watch.warnings()).isEmpty();
        assertThat(unseenCounted()).isEqualTo(199);

        report(0, 250, false); // 250 evaluated: 199 of 449 is below half
        now.addAndGet(2 * MINUTE);
        watch.tick();
        assertThat(watch.warnings()).isEmpty();

        report(3_000, 3_100, false); // 299 of 549: above half
        now.addAndGet(2 * MINUTE);
        watch.tick();
        assertThat(watch.warnings()).containsOnlyKeys(flag);

        now.addAndGet(11 * MINUTE);
        watch.tick();
        assertThat(watch.warnings()).as("out of the sliding span").isEmpty();
    }

    @Test
    void withoutDigestsDuringTheWarmUpAndForOldEventsNothingIsChecked() {
        report(0, 300, false);
        now.addAndGet(2 * MINUTE);
        watch.tick();
        assertThat(unseenCounted()).as("no digest of the flag: no evidence").isZero();

        publish("instance-a", IntStream.range(0, 10).mapToObj(i -> "x-" + i), 0);
        report(0, 300, false);
        now.addAndGet(2 * MINUTE);
        watch.tick();
        assertThat(unseenCounted())
                .as("keys recorded for less than the warm-up")
                .isZero();

        now.addAndGet(5 * MINUTE);
        for (int i = 0; i < 300; i++) {
            watch.observe(List.of(evaluated()), "user-" + i, now.get() - 61 * MINUTE);
        }
        now.addAndGet(2 * MINUTE);
        watch.tick();
        assertThat(unseenCounted()).as("events older than the look-back").isZero();
        assertThat(watch.warnings()).isEmpty();
    }

    @Test
    void theWaitingSubjectsAreBoundedAndTheSharesStayUnbiased() {
        EvaluationKeyWatch small = new EvaluationKeyWatch(
                new EvaluationKeyWatch.Settings(60 * MINUTE, 10 * MINUTE, MINUTE, 20, 0.5, 50, 5 * MINUTE),
                digests,
                now::get);
        publish("instance-a", IntStream.range(0, 1_000).mapToObj(i -> "user-" + i), 10 * MINUTE);
        now.addAndGet(10 * MINUTE);
        for (int i = 0; i < 2_000; i++) {
            // alternately evaluated and never evaluated: half and half
            small.observe(List.of(evaluated()), i % 2 == 0 ? "user-" + i / 2 : "nobody-" + i, now.get());
        }
        now.addAndGet(2 * MINUTE);
        small.tick();
        assertThat(small.warnings()).containsOnlyKeys(flag);
        assertThat(small.warnings().get(flag)).startsWith("50 of 100 events");
    }

    @Test
    void digestsOfSlicesOlderThanTheLookBackAreDropped() {
        publish("instance-a", IntStream.range(0, 10).mapToObj(i -> "user-" + i), 10 * MINUTE);
        assertThat(digests.slices()).isEqualTo(1);
        now.addAndGet(69 * MINUTE); // the slice ends 10 minutes from now: 59 minutes after its end
        watch.tick();
        assertThat(digests.slices()).isEqualTo(1);
        now.addAndGet(2 * MINUTE);
        watch.tick();
        assertThat(digests.slices()).isZero();
        assertThat(digests.lookup(flag, KeyDigest.hash("user-1"), now.get()))
                .isEqualTo(EvaluatedKeyDigests.Lookup.NO_EVIDENCE);
    }

    private CohortAssignment evaluated() {
        return new CohortAssignment(flag, Cohort.CONTROL, false);
    }

    private void report(int from, int to, boolean withExposures) {
        for (int i = from; i < to; i++) {
            watch.observe(List.of(new CohortAssignment(flag, Cohort.TREATMENT, withExposures)), "user-" + i, now.get());
        }
    }

    /** One instance's slice of the current time, holding {@code keys}, recording since {@code recordingFor} ago. */
    private void publish(String instance, java.util.stream.Stream<String> keys, long recordingFor) {
        KeyDigest digest = KeyDigest.sized(10_000, 0.01);
        keys.forEach(digest::add);
        long start = now.get() - recordingFor;
        digests.apply(
                EvaluatedKeysEvent.newBuilder()
                        .setFlagKey(flag)
                        .setInstanceId(instance + "-" + now.get())
                        .setSliceStart(Instant.ofEpochMilli(start))
                        .setSliceEnd(Instant.ofEpochMilli(now.get() + 10 * MINUTE))
                        .setFirstKeyAt(Instant.ofEpochMilli(start))
                        .setUpdatedAt(Instant.ofEpochMilli(now.get()))
                        .setHashFunctions(digest.hashFunctions())
                        .setBits(ByteBuffer.wrap(digest.toBytes()))
                        .setKeys(digest.keys())
                        .setCapacity(10_000)
                        .setFalsePositiveRate(0.01)
                        .build(),
                now.get());
    }

    private double unseenCounted() {
        var counter = REGISTRY.find("rollguard.ingest.evaluation.key.unseen")
                .tag("flag", flag)
                .counter();
        return counter == null ? 0 : counter.count();
    }
}
