package dev.rollguard.client;

import dev.rollguard.schemas.event.FlagExposure;
import dev.rollguard.schemas.telemetry.TelemetryLimits;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The flag variants each subject (targeting key) was last served, as {@link ExposureHook} records them: what a
 * {@link TelemetryClient} attaches to that subject's events, so that metrics-ingest counts each event in the cohort
 * the app really served instead of bucketing the user itself (which is wrong as soon as the app evaluates with
 * another key than the event's user id).
 *
 * <p>Bounded: beyond {@code maxSubjects} the subject used least recently is forgotten (a backend serves many users;
 * a phone one). An event carries at most {@link TelemetryLimits#MAX_EXPOSURES} exposures (metrics-ingest refuses
 * more): {@link #of} gives the flags evaluated most recently for the subject. An exposure metrics-ingest would refuse
 * is not recorded ({@link #record}). Thread-safe.
 */
public final class Exposures {

    /** Subjects kept by default. */
    public static final int DEFAULT_MAX_SUBJECTS = 10_000;

    /**
     * Most exposures metrics-ingest accepts on one event ({@code TOO_MANY_EXPOSURES} beyond).
     *
     * @deprecated the limit is {@link TelemetryLimits#MAX_EXPOSURES}, shared with metrics-ingest; kept so that code
     *     written against earlier versions of this client still compiles
     */
    @Deprecated
    public static final int MAX_PER_EVENT = TelemetryLimits.MAX_EXPOSURES;

    private static final System.Logger LOG = System.getLogger(Exposures.class.getName());

    /** Per subject, its exposures by flag key, the flag evaluated least recently first. */
    private final Map<String, Map<String, FlagExposure>> bySubject;
    /** The reasons an exposure was not recorded that were logged at WARNING already (a few, each once). */
    private final Set<String> warned = ConcurrentHashMap.newKeySet();

    public Exposures() {
        this(DEFAULT_MAX_SUBJECTS);
    }

    public Exposures(int maxSubjects) {
        if (maxSubjects < 1) {
            throw new IllegalArgumentException("maxSubjects must be at least 1, was " + maxSubjects);
        }
        this.bySubject = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Map<String, FlagExposure>> eldest) {
                return size() > maxSubjects;
            }
        };
    }

    /**
     * Records that {@code subject} was served {@code variant} of {@code flagKey} (version when known, else null).
     *
     * <p>Only what metrics-ingest accepts is recorded ({@link TelemetryLimits#isAcceptedExposure}), since it refuses a
     * whole event for one exposure it does not: an exposure with a flag key no Rollguard flag can have (another
     * provider's, e.g. {@code new_checkout}), a blank or over-long flag key or variant, or a variant holding a control
     * character is not recorded, and what the subject was served of that flag before is forgotten (it is not what the
     * subject is served now). A negative version is left out (the exposure is recorded without it). Each reason is
     * logged once at WARNING.
     */
    public void record(String subject, String flagKey, String variant, Long flagVersion) {
        if (subject == null || flagKey == null || variant == null) {
            return;
        }
        Long version = flagVersion;
        if (version != null && version < 0) {
            warnOnce(
                    "negative version",
                    "Rollguard telemetry: the exposure to flag '" + EventMender.forLog(flagKey, 80) + "' has the"
                            + " negative version " + version + ", which metrics-ingest refuses: it is recorded without"
                            + " its version, and so is every later one with a negative version");
            version = null;
        }
        FlagExposure exposure = FlagExposure.newBuilder()
                .setFlagKey(flagKey)
                .setVariant(variant)
                .setFlagVersion(version)
                .build();
        String refusal = EventMender.exposureRefusal(exposure);
        if (refusal != null) {
            warnOnce(
                    refusal,
                    "Rollguard telemetry: the exposure to flag '" + EventMender.forLog(flagKey, 80) + "' (variant '"
                            + EventMender.forLog(variant, 80) + "') is not recorded, and neither is any later one with "
                            + refusal + ": metrics-ingest would refuse every event that carries it");
            forget(subject, flagKey);
            return;
        }
        synchronized (bySubject) {
            Map<String, FlagExposure> flags = bySubject.computeIfAbsent(subject, s -> new LinkedHashMap<>());
            flags.remove(flagKey); // a new evaluation makes the flag the most recent one
            flags.put(flagKey, exposure);
        }
    }

    /** Forgets what {@code subject} was served of {@code flagKey}: its last evaluation failed. */
    public void forget(String subject, String flagKey) {
        if (subject == null) {
            return;
        }
        synchronized (bySubject) {
            Map<String, FlagExposure> flags = bySubject.get(subject);
            if (flags != null) {
                flags.remove(flagKey);
                if (flags.isEmpty()) {
                    bySubject.remove(subject);
                }
            }
        }
    }

    /** Logs {@code message} at WARNING the first time {@code key} comes, later at DEBUG. */
    private void warnOnce(String key, String message) {
        System.Logger.Level level = warned.add(key) ? System.Logger.Level.WARNING : System.Logger.Level.DEBUG;
        if (LOG.isLoggable(level)) {
            LOG.log(level, message);
        }
    }

    /** How many subjects were served something (and are still kept). */
    public int subjects() {
        synchronized (bySubject) {
            return bySubject.size();
        }
    }

    /**
     * The exposures of {@code subject}, at most {@link TelemetryLimits#MAX_EXPOSURES}: those of the flags evaluated
     * most recently for it, in flag key order; empty when it was served nothing.
     */
    public List<FlagExposure> of(String subject) {
        if (subject == null) {
            return List.of();
        }
        List<FlagExposure> latest;
        synchronized (bySubject) {
            Map<String, FlagExposure> flags = bySubject.get(subject);
            if (flags == null) {
                return List.of();
            }
            latest = new ArrayList<>(Math.min(flags.size(), TelemetryLimits.MAX_EXPOSURES));
            Iterator<FlagExposure> oldestFirst = flags.values().iterator();
            for (int skip = flags.size() - TelemetryLimits.MAX_EXPOSURES; skip > 0; skip--) {
                oldestFirst.next();
            }
            oldestFirst.forEachRemaining(latest::add);
        }
        latest.sort(Comparator.comparing(FlagExposure::getFlagKey));
        return latest;
    }
}
