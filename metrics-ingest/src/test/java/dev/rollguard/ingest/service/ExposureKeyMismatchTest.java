package dev.rollguard.ingest.service;

import static dev.rollguard.ingest.TelemetryFixtures.exposure;
import static dev.rollguard.ingest.TelemetryFixtures.flag;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.ingest.domain.CohortAssignment;
import dev.rollguard.schemas.bucketing.Bucketing;
import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.FlagExposure;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The exposure-key mismatch rule of {@link CohortAssigner} and its warn-once bookkeeping. */
class ExposureKeyMismatchTest {

    static final Instant T = Instant.parse("2026-03-01T00:00:00Z");
    static final long EVENT_TIME = T.plusSeconds(60).toEpochMilli();

    private final FlagDirectory directory = new FlagDirectory(8);
    private final CohortAssigner assigner = new CohortAssigner(directory);

    /** A user id whose bucket for {@code flagKey} is treated (or not) at {@code basisPoints}. */
    private static String user(String flagKey, int basisPoints, boolean treated) {
        return IntStream.range(0, 10_000)
                .mapToObj(i -> "user-" + i)
                .filter(u -> (Bucketing.bucket(flagKey, u) < basisPoints) == treated)
                .findFirst()
                .orElseThrow();
    }

    private static FlagExposure served(String flagKey, String variant, long version) {
        FlagExposure exposure = exposure(flagKey, variant, null);
        exposure.setFlagVersion(version);
        return exposure;
    }

    @Test
    void anExposureThatAgreesWithTheUserIdIsNoMismatch() {
        directory.apply(flag("f", 1, T, 1_000).build());
        String treatedUser = user("f", 1_000, true);
        String controlUser = user("f", 1_000, false);

        assertThat(assigner.assign(List.of(served("f", "on", 1)), treatedUser, "c1", EVENT_TIME)
                        .keyMismatches())
                .isEmpty();
        assertThat(assigner.assign(List.of(served("f", "off", 1)), controlUser, "c1", EVENT_TIME)
                        .keyMismatches())
                .isEmpty();
    }

    @Test
    void anExposureOfTheOtherCohortThanTheUserIdNamesTheFlag() {
        directory.apply(flag("f", 1, T, 1_000).build());
        directory.apply(flag("g", 1, T, 5_000).build());
        String controlInF = user("f", 1_000, false);

        CohortAssigner.Result result = assigner.assign(
                List.of(served("f", "on", 1), exposure("g", "off", Bucketing.bucket("g", controlInF) < 5_000)),
                controlInF,
                "c1",
                EVENT_TIME);

        assertThat(result.keyMismatches())
                .as("the app was served 'on' for a key that is not this userId: the userId evaluates to control")
                .containsExactly("f");
        assertThat(result.assignments())
                .as("the exposure still decides the cohort the event counts for")
                .contains(new CohortAssignment("f", Cohort.TREATMENT, true));
    }

    @Test
    void withoutAUserIdTheClientIdIsTheSubject() {
        directory.apply(flag("f", 1, T, 1_000).build());
        String controlClient = user("f", 1_000, false);

        assertThat(assigner.assign(List.of(served("f", "on", 1)), null, controlClient, EVENT_TIME)
                        .keyMismatches())
                .containsExactly("f");
        assertThat(assigner.assign(List.of(served("f", "off", 1)), " ", controlClient, EVENT_TIME)
                        .keyMismatches())
                .isEmpty();
    }

    @Test
    void theExposuresFlagVersionIsTheOneCompared() {
        directory.apply(flag("f", 1, T, 1_000).build());
        directory.apply(flag("f", 2, T.plusSeconds(30), 9_000).build());
        // Treated at 90 % (version 2, in force at the event time) but not at 10 % (version 1, which served it).
        String user = IntStream.range(0, 10_000)
                .mapToObj(i -> "user-" + i)
                .filter(u -> Bucketing.bucket("f", u) >= 1_000 && Bucketing.bucket("f", u) < 9_000)
                .findFirst()
                .orElseThrow();

        assertThat(assigner.assign(List.of(served("f", "off", 1)), user, "c1", EVENT_TIME)
                        .keyMismatches())
                .as("version 1 served 'off' to this user: no mismatch although version 2 would treat it")
                .isEmpty();
        assertThat(assigner.assign(List.of(served("f", "off", 2)), user, "c1", EVENT_TIME)
                        .keyMismatches())
                .containsExactly("f");
    }

    @Test
    void flagsNotUnderRolloutAndUnknownFlagsAreNotCompared() {
        directory.apply(flag("full", 1, T, 10_000).build());
        assertThat(assigner.assign(
                                List.of(served("full", "off", 1), exposure("unknown", "on", true)),
                                "u1",
                                "c1",
                                EVENT_TIME)
                        .keyMismatches())
                .isEmpty();
    }

    @Test
    void eventsWithoutExposuresCannotMismatch() {
        directory.apply(flag("f", 1, T, 1_000).build());
        CohortAssigner.Result result = assigner.assign(List.of(), "u1", "c1", EVENT_TIME);
        assertThat(result.assignments()).hasSize(1);
        assertThat(result.keyMismatches()).isEmpty();
    }

    @Test
    void countsEveryMismatchAndWarnsOncePerFlagPerInterval() {
        AtomicLong now = new AtomicLong(1_000);
        ExposureKeyMismatches mismatches = new ExposureKeyMismatches(Duration.ofMinutes(5), now::get);

        assertThat(mismatches.record("f"))
                .as("the first mismatch of a flag warns")
                .isTrue();
        assertThat(mismatches.record("f")).isFalse();
        assertThat(mismatches.record("g")).as("another flag warns on its own").isTrue();
        now.addAndGet(Duration.ofMinutes(4).toNanos());
        assertThat(mismatches.record("f")).isFalse();
        now.addAndGet(Duration.ofMinutes(1).toNanos());
        assertThat(mismatches.record("f")).as("a new interval warns again").isTrue();

        assertThat(mismatches.counts()).containsExactly(java.util.Map.entry("f", 4L), java.util.Map.entry("g", 1L));
    }
}
