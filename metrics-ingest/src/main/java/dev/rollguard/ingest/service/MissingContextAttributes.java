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
 * Events without exposures whose cohort of a flag was evaluated while the flag's targeting rules read a context
 * attribute the event did not carry ({@link CohortAssigner.MissingAttribute}): the rule cannot match such an event,
 * so if the app served its user by that attribute, the event is counted in another cohort than the user was in.
 * Counted per flag and attribute in {@code rollguard.ingest.context.attribute.missing{flag,attribute}} and in the
 * health check's data, and logged at most once per flag and attribute per {@link #WARN_INTERVAL}. Kafka Streams
 * instantiates the processors itself, so they reach the one instance of the service through {@link #GLOBAL}.
 */
public final class MissingContextAttributes {

    // Not io.quarkus.logging.Log: this runs outside Quarkus too (architecture-tests' StreamThreadLoggingTest).
    private static final Logger LOG = Logger.getLogger(MissingContextAttributes.class);

    /** The shortest time between two warnings about the same flag and attribute. */
    public static final Duration WARN_INTERVAL = Duration.ofMinutes(5);

    /** The instance the topology counts into and the health check reads. */
    public static final MissingContextAttributes GLOBAL = new MissingContextAttributes(WARN_INTERVAL, System::nanoTime);

    private final long intervalNanos;
    private final LongSupplier nanoClock;
    private final Map<String, Entry> entries = new ConcurrentHashMap<>();

    /** Events of one flag and attribute since start and when they were last warned about. */
    private static final class Entry {
        final AtomicLong count = new AtomicLong();
        final AtomicLong lastWarnNanos = new AtomicLong();
        volatile boolean warned;
    }

    MissingContextAttributes(Duration warnInterval, LongSupplier nanoClock) {
        this.intervalNanos = warnInterval.toNanos();
        this.nanoClock = nanoClock;
    }

    /**
     * Counts one event evaluated for {@code flagKey} without {@code attribute}.
     *
     * @return whether this call logged a warning (the first for the flag and attribute in the interval)
     */
    public boolean record(String flagKey, String attribute) {
        Entry entry = entries.computeIfAbsent(key(flagKey, attribute), k -> new Entry());
        long total = entry.count.incrementAndGet();
        Metrics.counter("rollguard.ingest.context.attribute.missing", "flag", flagKey, "attribute", attribute)
                .increment();
        long now = nanoClock.getAsLong();
        long last = entry.lastWarnNanos.get();
        if (entry.warned && now - last < intervalNanos) {
            return false;
        }
        if (!entry.lastWarnNanos.compareAndSet(last, now)) {
            return false; // another thread warns for this interval
        }
        entry.warned = true;
        LOG.warnf(
                "flag %s: its targeting rules read the context attribute '%s', which telemetry without exposures does"
                        + " not carry (%d events so far): such events are counted in the cohort of a subject without"
                        + " it; put '%s' in the events' context (or send exposures) so the cohorts are what was served",
                flagKey, attribute, total, attribute);
        return true;
    }

    /** Events per {@code <flag>/<attribute>} since this instance started, sorted. */
    public SortedMap<String, Long> counts() {
        SortedMap<String, Long> result = new TreeMap<>();
        entries.forEach((key, entry) -> result.put(key, entry.count.get()));
        return result;
    }

    private static String key(String flagKey, String attribute) {
        return flagKey + "/" + attribute;
    }
}
