package dev.rollguard.alert.support;

import dev.rollguard.schemas.event.ClientMoment;
import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.ScopeType;
import dev.rollguard.schemas.event.WindowKind;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** One-minute windows for tests, at event times far from any other test's. */
public final class Windows {

    public static final Duration MINUTE = Duration.ofMinutes(1);

    private Windows() {}

    /** A TABLE window starting {@code minute} minutes after {@code origin}, with {@code durationMaxMs} set. */
    public static WindowMetricsEvent table(String table, Instant origin, int minute, double durationMaxMs) {
        Instant start = origin.plus(MINUTE.multipliedBy(minute));
        return base(start)
                .setScopeType(ScopeType.TABLE)
                .setScopeKey("table:" + table)
                .setTable(table)
                .setDurationMaxMs(durationMaxMs)
                .build();
    }

    /** A FLAG_COHORT window with {@code failures} of {@code events} failing. */
    public static WindowMetricsEvent cohort(
            String flag, Cohort cohort, Instant origin, int minute, long events, long failures) {
        Instant start = origin.plus(MINUTE.multipliedBy(minute));
        return base(start)
                .setScopeType(ScopeType.FLAG_COHORT)
                .setScopeKey("flag:" + flag + ":" + cohort.name().toLowerCase(java.util.Locale.ROOT))
                .setFlagKey(flag)
                .setCohort(cohort)
                .setEventCount(events)
                .setSuccessCount(events - failures)
                .setFailureCount(failures)
                .setErrorRate((double) failures / events)
                .setSuccessRate((double) (events - failures) / events)
                .setClientMoments(List.of(failureMoments(events, failures)))
                .build();
    }

    /**
     * A FLAG_COHORT window whose client moments are {@code moments} (stage version 1), with {@code events} events and
     * no failure.
     */
    public static WindowMetricsEvent cohortWithMoments(
            String flag, Cohort cohort, Instant origin, int minute, long events, List<ClientMoment> moments) {
        WindowMetricsEvent window = cohort(flag, cohort, origin, minute, events, 0);
        window.setClientMoments(moments);
        return window;
    }

    /**
     * The moments of a metric over {@code clients} clients new to the stage, each with {@code x} events (or reports)
     * and a numerator taken in turn from {@code ys}.
     */
    public static ClientMoment moment(String metric, long clients, double x, double... ys) {
        double sumY = 0;
        double sumYY = 0;
        double sumXY = 0;
        for (long i = 0; i < clients; i++) {
            double y = ys[(int) (i % ys.length)];
            sumY += y;
            sumYY += y * y;
            sumXY += x * y;
        }
        return ClientMoment.newBuilder()
                .setStageVersion(1)
                .setMetric(metric)
                .setClients(clients)
                .setSumY(sumY)
                .setSumX(clients * x)
                .setSumYY(sumYY)
                .setSumXX(clients * x * x)
                .setSumXY(sumXY)
                .build();
    }

    /** Clients per cohort window: each window's events come from new clients, ten events each. */
    public static final int EVENTS_PER_CLIENT = 10;

    /**
     * The guard's client-level moments of the failure rate for a window whose events come from {@code events / 10}
     * clients new to the stage (stage version 1), with the failures spread evenly over them.
     */
    public static ClientMoment failureMoments(long events, long failures) {
        long clients = Math.max(1, events / EVENTS_PER_CLIENT);
        double x = (double) events / clients;
        double y = (double) failures / clients;
        return ClientMoment.newBuilder()
                .setStageVersion(1)
                .setMetric("failure")
                .setClients(clients)
                .setSumY(failures)
                .setSumX(events)
                .setSumYY(clients * y * y)
                .setSumXX(clients * x * x)
                .setSumXY(clients * x * y)
                .build();
    }

    private static WindowMetricsEvent.Builder base(Instant start) {
        return WindowMetricsEvent.newBuilder()
                .setWindowKind(WindowKind.TUMBLING)
                .setWindowStart(start)
                .setWindowEnd(start.plus(MINUTE))
                .setEmittedAt(start.plus(MINUTE).plusSeconds(5))
                .setFirstEventTime(start.plusMillis(250))
                .setEventCount(100)
                .setSuccessCount(100)
                .setFailureCount(0);
    }
}
