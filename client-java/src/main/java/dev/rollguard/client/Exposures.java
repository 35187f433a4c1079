package dev.rollguard.client;

import dev.rollguard.schemas.event.FlagExposure;
import dev.rollguard.schemas.telemetry.TelemetryLimits;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The flag variants each subject (targeting key) was last served, as {@link ExposureHook} records them: what a
 * {@link TelemetryClient} attaches to that subject's events, so that metrics-ingest counts each event in the cohort
 * the app really served instead of bucketing the user itself (which is wrong as soon as the app evaluates with
 * another key than the event's user id).
 *
 * <p>Bounded: beyond {@code maxSubjects} the subject used least recently is forgotten (a backend serves many users;
 * a phone one). An event carries at most {@link TelemetryLimits#MAX_EXPOSURES} exposures (metrics-ingest refuses
 * more): {@link #of} gives the flags evaluated most recently for the subject. Thread-safe.
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

    /** Per subject, its exposures by flag key, the flag evaluated least recently first. */
    private final Map<String, Map<String, FlagExposure>> bySubject;

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

    /** Records that {@code subject} was served {@code variant} of {@code flagKey} (version when known, else null). */
    public void record(String subject, String flagKey, String variant, Long flagVersion) {
        if (subject == null || flagKey == null || variant == null) {
            return;
        }
        FlagExposure exposure = FlagExposure.newBuilder()
                .setFlagKey(flagKey)
                .setVariant(variant)
                .setFlagVersion(flagVersion)
                .build();
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
