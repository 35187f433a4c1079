package dev.rollguard.ingest.service;

import io.micrometer.core.instrument.Metrics;
import java.time.Duration;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.jboss.logging.Logger;

/**
 * Events whose exposure names the other cohort than their {@code userId} evaluates to ({@link CohortAssigner}): the
 * app evaluates flags with another targeting key than the one it reports, so its events without exposures are
 * bucketed by the wrong key. Counted per flag in {@code rollguard.ingest.exposure.key.mismatch{flag}} and in the
 * health check's data, and logged at most once per flag per {@link #WARN_INTERVAL}. Kafka Streams instantiates the
 * processors itself, so they reach the one instance of the service through {@link #GLOBAL}, as the metrics do.
 */
public final class ExposureKeyMismatches {

    // Not io.quarkus.logging.Log: this runs outside Quarkus too (architecture-tests' StreamThreadLoggingTest).
    private static final Logger LOG = Logger.getLogger(ExposureKeyMismatches.class);

    /** The shortest time between two warnings about the same flag. */
    public static final Duration WARN_INTERVAL = Duration.ofMinutes(5);

    /** The instance the topology counts into and the health check reads. */
    public static final ExposureKeyMismatches GLOBAL = new ExposureKeyMismatches(WARN_INTERVAL, System::nanoTime);

    private final long intervalNanos;
    private final LongSupplier nanoClock;
    private final Map<String, Flag> flags = new ConcurrentHashMap<>();

    /** A flag's mismatches since start and when it was last warned about. */
    private static final class Flag {
        final AtomicLong count = new AtomicLong();
        final AtomicLong lastWarnNanos = new AtomicLong();
        volatile boolean warned;
    }

    ExposureKeyMismatches(Duration warnInterval, LongSupplier nanoClock) {
        this.intervalNanos = warnInterval.toNanos();
        this.nanoClock = nanoClock;
    }

    /**
     * Counts one event with a mismatched exposure of {@code flagKey}.
     *
     * @return whether this call logged a warning (the first for the flag in the interval)
     */
    public boolean record(String flagKey) {
        Flag flag = flags.computeIfAbsent(flagKey, k -> new Flag());
        long total = flag.count.incrementAndGet();
        Metrics.counter("rollguard.ingest.exposure.key.mismatch", "flag", flagKey)
                .increment();
        long now = nanoClock.getAsLong();
        long last = flag.lastWarnNanos.get();
        if (flag.warned && now - last < intervalNanos) {
            return false;
        }
        if (!flag.lastWarnNanos.compareAndSet(last, now)) {
            return false; // another thread warns for this interval
        }
        flag.warned = true;
        LOG.warnf(
                "flag %s: telemetry exposures name the other cohort than the event's userId evaluates to (%d events"
                        + " so far): the app evaluates with another targeting key than the userId it reports, so its"
                        + " events without exposures are counted in the wrong cohort",
                flagKey, total);
        return true;
    }

    /** Mismatched events per flag since this instance started, by flag key. */
    public SortedMap<String, Long> counts() {
        SortedMap<String, Long> result = new TreeMap<>();
        flags.forEach((key, flag) -> result.put(key, flag.count.get()));
        return result;
    }
}
