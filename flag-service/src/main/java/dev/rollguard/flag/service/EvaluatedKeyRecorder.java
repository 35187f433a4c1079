package dev.rollguard.flag.service;

import dev.rollguard.flag.config.FlagServiceConfig;
import dev.rollguard.schemas.event.EvaluatedKeysEvent;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.keys.KeyDigest;
import dev.rollguard.schemas.targeting.Rollouts;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * Records which targeting keys this instance evaluates each flag under rollout for, so that metrics-ingest can tell
 * whether the key it buckets an event without exposures by is the one the app evaluates with. Per flag under rollout
 * and time slice (aligned to multiples of the slice length since the epoch), the keys go into a {@link KeyDigest}
 * sized for the configured keys and false-positive rate; a disabled, killed, archived, 0 % or 100 % flag records
 * nothing. A recording is a hash and a few bit updates, no lock and no I/O, so it costs the evaluation endpoints
 * next to nothing; memory is one filter per flag under rollout (two around a slice boundary).
 *
 * <p>{@link #changed} hands the publisher the slices that took new keys since it last asked: a slice is published
 * again while it fills and a last time after it ends, then forgotten.
 */
@ApplicationScoped
public class EvaluatedKeyRecorder {

    private final boolean enabled;
    private final long sliceMs;
    private final long capacity;
    private final double falsePositiveRate;
    private final LongSupplier clock;
    private final String instanceId = UUID.randomUUID().toString();
    private final Map<String, Slice> current = new ConcurrentHashMap<>();
    private final Queue<Slice> ended = new ConcurrentLinkedQueue<>();

    @Inject
    public EvaluatedKeyRecorder(FlagServiceConfig config) {
        this(config.evaluatedKeys(), System::currentTimeMillis);
    }

    EvaluatedKeyRecorder(FlagServiceConfig.EvaluatedKeys config, LongSupplier clock) {
        this.enabled = config.enabled();
        this.sliceMs = config.slice().toMillis();
        this.capacity = config.capacity();
        this.falsePositiveRate = config.falsePositiveRate();
        this.clock = clock;
        if (sliceMs <= 0) {
            throw new IllegalArgumentException("flag-service.evaluated-keys.slice must be positive");
        }
        KeyDigest.sized(capacity, falsePositiveRate); // refuses a nonsensical size at start
    }

    /** One flag's filter for one slice. */
    public static final class Slice {
        final String flagKey;
        final long start;
        final long firstKeyAt;
        final KeyDigest digest;
        final AtomicBoolean dirty = new AtomicBoolean(true);

        Slice(String flagKey, long start, long firstKeyAt, KeyDigest digest) {
            this.flagKey = flagKey;
            this.start = start;
            this.firstKeyAt = firstKeyAt;
            this.digest = digest;
        }
    }

    /** A slice to publish: its record key on evaluated.keys and its event. */
    public record Changed(Slice slice, String key, EvaluatedKeysEvent event) {}

    /** The id this instance publishes its slices under. */
    public String instanceId() {
        return instanceId;
    }

    /** Records that {@code flagKey} was evaluated for {@code targetingKey}, if the flag is under rollout. */
    public void record(FlagSnapshot.State state, String flagKey, String targetingKey) {
        if (!enabled || targetingKey == null || targetingKey.isEmpty() || state.globalKill()) {
            return;
        }
        FlagChangedEvent flag = state.flags().get(flagKey);
        if (flag != null && Rollouts.underRollout(flag)) {
            add(flagKey, KeyDigest.hash(targetingKey), clock.getAsLong());
        }
    }

    /** Records a bulk evaluation: every flag under rollout was evaluated for {@code targetingKey}. */
    public void recordAll(FlagSnapshot.State state, String targetingKey) {
        if (!enabled || targetingKey == null || targetingKey.isEmpty() || state.globalKill()) {
            return;
        }
        KeyDigest.Hash hash = null;
        long now = 0;
        for (FlagChangedEvent flag : state.flags().values()) {
            if (Rollouts.underRollout(flag)) {
                if (hash == null) {
                    hash = KeyDigest.hash(targetingKey);
                    now = clock.getAsLong();
                }
                add(flag.getFlagKey(), hash, now);
            }
        }
    }

    private void add(String flagKey, KeyDigest.Hash hash, long now) {
        long start = now - Math.floorMod(now, sliceMs);
        Slice slice = current.get(flagKey);
        if (slice == null || slice.start != start) {
            slice = current.compute(flagKey, (key, old) -> {
                if (old != null && old.start >= start) {
                    return old;
                }
                if (old != null) {
                    ended.add(old);
                }
                return new Slice(key, start, now, KeyDigest.sized(capacity, falsePositiveRate));
            });
        }
        if (slice.digest.add(hash)) {
            slice.dirty.set(true);
        }
    }

    /**
     * The slices that took new keys since the last call, each as the event to publish; slices that have ended are
     * returned a last time and forgotten.
     */
    public List<Changed> changed() {
        long now = clock.getAsLong();
        for (Slice slice : current.values()) {
            if (now >= slice.start + sliceMs && current.remove(slice.flagKey, slice)) {
                ended.add(slice);
            }
        }
        List<Changed> result = new ArrayList<>();
        for (Slice slice = ended.poll(); slice != null; slice = ended.poll()) {
            if (slice.dirty.getAndSet(false)) {
                result.add(changed(slice, now));
            }
        }
        for (Slice slice : current.values()) {
            if (slice.dirty.getAndSet(false)) {
                result.add(changed(slice, now));
            }
        }
        return result;
    }

    /** A slice whose publication failed: published again at the next pass. */
    public void failed(Slice slice) {
        slice.dirty.set(true);
        if (current.get(slice.flagKey) != slice) {
            ended.add(slice);
        }
    }

    private Changed changed(Slice slice, long now) {
        EvaluatedKeysEvent event = EvaluatedKeysEvent.newBuilder()
                .setFlagKey(slice.flagKey)
                .setInstanceId(instanceId)
                .setSliceStart(Instant.ofEpochMilli(slice.start))
                .setSliceEnd(Instant.ofEpochMilli(slice.start + sliceMs))
                .setFirstKeyAt(Instant.ofEpochMilli(slice.firstKeyAt))
                .setUpdatedAt(Instant.ofEpochMilli(now))
                .setHashFunctions(slice.digest.hashFunctions())
                .setBits(ByteBuffer.wrap(slice.digest.toBytes()))
                .setKeys(slice.digest.keys())
                .setCapacity(capacity)
                .setFalsePositiveRate(falsePositiveRate)
                .build();
        return new Changed(slice, slice.flagKey + "|" + instanceId + "|" + slice.start, event);
    }
}
