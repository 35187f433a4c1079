package dev.rollguard.ingest.service;

import dev.rollguard.ingest.domain.CohortAssignment;
import dev.rollguard.schemas.keys.KeyDigest;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Metrics;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.jboss.logging.Logger;

/**
 * Warns when the events without exposures of a flag under rollout come from subjects the flag-service never
 * evaluated that flag for: the app evaluates with another targeting key (an email, an anonymous id) than the
 * {@code userId} it reports, so metrics-ingest buckets those events by a key that was never served, and their
 * cohorts are wrong. It only warns: cohorts are assigned as before.
 *
 * <p>For each such event and flag (the ones {@link CohortAssigner} evaluated itself), the subject ({@code userId},
 * else the client id) is looked up in the flag's recent digests ({@link EvaluatedKeyDigests}). A subject found
 * counts as evaluated at once; one not found waits {@link Settings#settleMs} for the digests the flag-service
 * publishes meanwhile (an app evaluates, then reports), and counts as never evaluated if it is still missing. Per
 * flag, over a sliding span, once {@link Settings#minEvents} events were checked and at least {@link
 * Settings#unseenShare} of them were never evaluated, the flag is warned about: in the health check's data, and in
 * a warning logged at most once per flag every {@link #WARN_INTERVAL}. Every event never evaluated is counted in
 * {@code rollguard.ingest.evaluation.key.unseen{flag}}.
 *
 * <p>A correct app stays far below the share: its subjects were all evaluated, and a digest's false positives only
 * make more of them look evaluated. Evidence is missing, and nothing is checked, for a flag without digests (a
 * flag-service that does not publish them), for events older than the look-back, and during the warm-up after a
 * flag's keys started to be recorded.
 *
 * <p>Cost per event: one MurmurHash3 of the subject and a few bit reads per digest of each flag under rollout, on
 * the stream thread, no I/O. Memory: per flag, 10 counters and at most {@link Settings#maxPending} waiting hashes (while
 * that many wait, further events of the flag are not checked).
 * Kafka Streams instantiates the processors itself, so they reach the one instance through {@link #installed()}, as
 * they reach {@link ExposureKeyMismatches#GLOBAL}.
 */
public final class EvaluationKeyWatch {

    // Not io.quarkus.logging.Log: this runs outside Quarkus too (architecture-tests' StreamThreadLoggingTest).
    private static final Logger LOG = Logger.getLogger(EvaluationKeyWatch.class);

    /** The shortest time between two warnings about the same flag. */
    public static final Duration WARN_INTERVAL = Duration.ofMinutes(5);

    private static final int BUCKETS = 10;

    private static volatile EvaluationKeyWatch installed;

    /**
     * The rules of the check.
     *
     * @param lookbackMs events older than this are not checked
     * @param spanMs the sliding span the share is measured over
     * @param settleMs how long a subject in no digest waits for newer ones
     * @param minEvents events checked within the span before a flag may be warned about
     * @param unseenShare share of never-evaluated subjects at or above which a flag is warned about
     * @param maxPending subjects per flag that may wait at once
     * @param warnIntervalMs shortest time between two warnings about the same flag
     */
    public record Settings(
            long lookbackMs,
            long spanMs,
            long settleMs,
            int minEvents,
            double unseenShare,
            int maxPending,
            long warnIntervalMs) {}

    private final Settings settings;
    private final EvaluatedKeyDigests digests;
    private final LongSupplier clock;
    private final long bucketMs;
    private final Map<String, FlagState> flags = new ConcurrentHashMap<>();

    public EvaluationKeyWatch(Settings settings, EvaluatedKeyDigests digests, LongSupplier clock) {
        this.settings = settings;
        this.digests = digests;
        this.clock = clock;
        this.bucketMs = Math.max(1, settings.spanMs() / BUCKETS);
    }

    /** Makes {@code watch} the one the topology reports to; null switches the check off. */
    public static void install(EvaluationKeyWatch watch) {
        installed = watch;
    }

    /** The digests the watch asks. */
    public EvaluatedKeyDigests digests() {
        return digests;
    }

    /** The installed watch, or null. */
    public static EvaluationKeyWatch installed() {
        return installed;
    }

    /**
     * Checks one event against the installed watch, if any: its subject for every flag it was assigned to without an
     * exposure.
     */
    public static void check(List<CohortAssignment> assignments, String userId, String clientId, long eventTime) {
        EvaluationKeyWatch watch = installed;
        if (watch != null) {
            watch.observe(assignments, userId == null || userId.isBlank() ? clientId : userId, eventTime);
        }
    }

    /** Checks {@code subject} for every flag of {@code assignments} that was evaluated here, not reported. */
    public void observe(List<CohortAssignment> assignments, String subject, long eventTime) {
        if (subject == null || subject.isEmpty()) {
            return;
        }
        long now = clock.getAsLong();
        if (eventTime < now - settings.lookbackMs()) {
            return;
        }
        KeyDigest.Hash hash = null;
        for (CohortAssignment assignment : assignments) {
            if (assignment.reported()) {
                continue;
            }
            if (hash == null) {
                hash = KeyDigest.hash(subject);
            }
            observe(assignment.flagKey(), hash, now);
        }
    }

    private void observe(String flagKey, KeyDigest.Hash hash, long now) {
        EvaluatedKeyDigests.Lookup lookup = digests.lookup(flagKey, hash, now);
        if (lookup == EvaluatedKeyDigests.Lookup.NO_EVIDENCE) {
            return;
        }
        FlagState state = flags.computeIfAbsent(flagKey, FlagState::new);
        synchronized (state) {
            if (state.removed) {
                // tick() dropped it meanwhile: count in the flag's new state
                observe(flagKey, hash, now);
                return;
            }
            settle(state, now);
            if (state.pending.size() >= settings.maxPending()) {
                // Skip this event whatever its answer, so that the share is not biased towards evaluated subjects.
                return;
            }
            if (lookup == EvaluatedKeyDigests.Lookup.EVALUATED) {
                state.count(now, false);
            } else {
                state.pending.add(new Pending(hash, now));
            }
        }
    }

    /** Settles what has waited long enough and forgets what is out of the span; the listener calls it every second. */
    public void tick() {
        long now = clock.getAsLong();
        digests.expire(now);
        for (FlagState state : flags.values()) {
            synchronized (state) {
                settle(state, now);
                if (state.pending.isEmpty() && state.checked(now) == 0) {
                    state.removed = true;
                    flags.remove(state.flagKey, state);
                }
            }
        }
    }

    /** The flags warned about now, each with what was seen, by flag key. */
    public SortedMap<String, String> warnings() {
        long now = clock.getAsLong();
        SortedMap<String, String> result = new TreeMap<>();
        for (FlagState state : flags.values()) {
            synchronized (state) {
                if (state.warning(now)) {
                    result.put(state.flagKey, state.describe(now));
                }
            }
        }
        return result;
    }

    private void settle(FlagState state, long now) {
        Pending head = state.pending.peek();
        while (head != null && head.since() + settings.settleMs() <= now) {
            state.pending.poll();
            EvaluatedKeyDigests.Lookup lookup = digests.lookup(state.flagKey, head.hash(), now);
            if (lookup != EvaluatedKeyDigests.Lookup.NO_EVIDENCE) {
                state.count(now, lookup == EvaluatedKeyDigests.Lookup.NOT_EVALUATED);
            }
            head = state.pending.peek();
        }
        if (state.warning(now) && (!state.warned || now - state.lastWarnMs >= settings.warnIntervalMs())) {
            state.warned = true;
            state.lastWarnMs = now;
            LOG.warnf(
                    "flag %s: %s. The app evaluates this flag with another targeting key than the userId it reports,"
                            + " so its events without exposures are counted in the wrong cohort: send exposures"
                            + " (client-java, client-js) or evaluate with the userId",
                    state.flagKey, state.describe(now));
        }
    }

    /** A subject that was in no digest, waiting for newer ones. */
    private record Pending(KeyDigest.Hash hash, long since) {}

    /** One flag's checked and never-evaluated events in the buckets of the span, and its waiting subjects. */
    private final class FlagState {
        final String flagKey;
        final long[] bucketIndex = new long[BUCKETS];
        final int[] checked = new int[BUCKETS];
        final int[] unseen = new int[BUCKETS];
        final ArrayDeque<Pending> pending = new ArrayDeque<>();
        Counter counter;
        boolean removed;
        boolean warned;
        long lastWarnMs;

        FlagState(String flagKey) {
            this.flagKey = flagKey;
            java.util.Arrays.fill(bucketIndex, -1);
        }

        void count(long now, boolean neverEvaluated) {
            long index = now / bucketMs;
            int slot = (int) Math.floorMod(index, (long) BUCKETS);
            if (bucketIndex[slot] != index) {
                bucketIndex[slot] = index;
                checked[slot] = 0;
                unseen[slot] = 0;
            }
            checked[slot]++;
            if (neverEvaluated) {
                unseen[slot]++;
                if (counter == null) {
                    counter = Metrics.counter("rollguard.ingest.evaluation.key.unseen", "flag", flagKey);
                }
                counter.increment();
            }
        }

        int checked(long now) {
            return sum(checked, now);
        }

        int unseen(long now) {
            return sum(unseen, now);
        }

        private int sum(int[] counts, long now) {
            long current = now / bucketMs;
            int total = 0;
            for (int i = 0; i < BUCKETS; i++) {
                if (bucketIndex[i] > current - BUCKETS) {
                    total += counts[i];
                }
            }
            return total;
        }

        boolean warning(long now) {
            int total = checked(now);
            return total >= settings.minEvents() && unseen(now) >= settings.unseenShare() * total;
        }

        String describe(long now) {
            int total = checked(now);
            int never = unseen(now);
            return String.format(
                    "%d of %d events without exposures in the last %s (%d %%) are bucketed by a userId the"
                            + " flag-service never evaluated this flag for",
                    never,
                    total,
                    Duration.ofMillis(settings.spanMs()).toString().substring(2).toLowerCase(java.util.Locale.ROOT),
                    Math.round(100.0 * never / total));
        }
    }
}
