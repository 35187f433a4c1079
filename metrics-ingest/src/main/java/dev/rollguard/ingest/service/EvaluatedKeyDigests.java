package dev.rollguard.ingest.service;

import dev.rollguard.schemas.event.EvaluatedKeysEvent;
import dev.rollguard.schemas.keys.KeyDigest;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The recent digests of the targeting keys each flag-service instance evaluated each flag under rollout for, read
 * from evaluated.keys: per flag, one {@link KeyDigest} per instance and time slice, the newest copy of each. A key
 * counts as evaluated when any of them may hold it, so the union of every instance's slices is asked without
 * merging their bits. Written by the listener thread, read by the stream threads: each flag's digests are an
 * immutable list swapped atomically, and a slice changes only every publish interval.
 *
 * <p>Memory: the digests of the slices that ended within the look-back, e.g. 7 slices of 12 kB (10 000 keys at 1 %)
 * per flag under rollout and flag-service instance.
 */
public final class EvaluatedKeyDigests {

    /** One slice of one instance. */
    record Slice(String id, long end, long firstKeyAt, long updatedAt, KeyDigest digest) {}

    /** What the digests say about a key. */
    public enum Lookup {
        /** The flag has no digest recorded long enough: nothing can be said. */
        NO_EVIDENCE,
        /** Some digest may hold the key. */
        EVALUATED,
        /** No digest holds it. */
        NOT_EVALUATED
    }

    private final long lookbackMs;
    private final long warmupMs;
    private final Map<String, List<Slice>> flags = new ConcurrentHashMap<>();

    public EvaluatedKeyDigests(long lookbackMs, long warmupMs) {
        this.lookbackMs = lookbackMs;
        this.warmupMs = warmupMs;
    }

    /** Keeps the newer copy of the event's slice; a slice that ended before the look-back is ignored. */
    public void apply(EvaluatedKeysEvent event, long now) {
        long end = event.getSliceEnd().toEpochMilli();
        if (end < now - lookbackMs) {
            return;
        }
        byte[] bits = new byte[event.getBits().remaining()];
        event.getBits().duplicate().get(bits);
        KeyDigest digest = KeyDigest.of(bits, event.getHashFunctions(), event.getKeys());
        String id = event.getInstanceId() + "|" + event.getSliceStart().toEpochMilli();
        Slice slice = new Slice(
                id,
                end,
                event.getFirstKeyAt().toEpochMilli(),
                event.getUpdatedAt().toEpochMilli(),
                digest);
        flags.compute(event.getFlagKey(), (key, known) -> {
            Map<String, Slice> byId = new HashMap<>();
            if (known != null) {
                known.stream().filter(s -> s.end() >= now - lookbackMs).forEach(s -> byId.put(s.id(), s));
            }
            Slice old = byId.get(id);
            if (old == null || old.updatedAt() <= slice.updatedAt()) {
                byId.put(id, slice);
            }
            return List.copyOf(byId.values());
        });
    }

    /** Drops the slices that ended before the look-back, and the flags left without any. */
    public void expire(long now) {
        for (String flag : flags.keySet()) {
            flags.computeIfPresent(flag, (key, known) -> {
                List<Slice> kept =
                        known.stream().filter(s -> s.end() >= now - lookbackMs).toList();
                return kept.isEmpty() ? null : kept;
            });
        }
    }

    /**
     * Whether {@code hash} was evaluated for {@code flagKey} within the look-back. Without a digest, or before the
     * flag's keys have been recorded for the warm-up, there is no evidence either way.
     */
    public Lookup lookup(String flagKey, KeyDigest.Hash hash, long now) {
        List<Slice> slices = flags.get(flagKey);
        if (slices == null) {
            return Lookup.NO_EVIDENCE;
        }
        long since = Long.MAX_VALUE;
        boolean live = false;
        for (Slice slice : slices) {
            if (slice.end() >= now - lookbackMs) {
                live = true;
                since = Math.min(since, slice.firstKeyAt());
                if (slice.digest().mightContain(hash)) {
                    return Lookup.EVALUATED;
                }
            }
        }
        return !live || now - since < warmupMs ? Lookup.NO_EVIDENCE : Lookup.NOT_EVALUATED;
    }

    /** Number of slices held, over every flag. */
    public int slices() {
        return flags.values().stream().mapToInt(List::size).sum();
    }
}
