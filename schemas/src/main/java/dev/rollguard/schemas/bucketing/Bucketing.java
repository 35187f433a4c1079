package dev.rollguard.schemas.bucketing;

import java.nio.charset.StandardCharsets;
import org.apache.commons.codec.digest.MurmurHash3;

/**
 * The one bucketing algorithm of Rollguard, shared by the flag-service, metrics-ingest and every client SDK.
 *
 * <ol>
 *   <li>{@code h = MurmurHash3_x86_32(utf8(flagKey + ":" + targetingKey), seed 0)}, read as an unsigned 32-bit
 *       integer;
 *   <li>{@code bucket = h mod 10000}, so a bucket is one hundredth of a percent;
 *   <li>a subject is in a rollout of {@code basisPoints} (hundredths of a percent, 0..10000) when {@code bucket <
 *       basisPoints}.
 * </ol>
 *
 * <p>Because membership is a threshold on a fixed bucket, raising the share only adds subjects and lowering it
 * removes the ones added last. The flag key in the hash makes rollouts of different flags independent. The modulo
 * bias of 2^32 mod 10000 is below 2e-6 relative per bucket.
 *
 * <p>A weighted split among several variants uses a second bucket of the same bytes hashed with seed {@value
 * #VARIANT_SEED} ({@link #variantBucket}): the variants, in their listed order, take consecutive ranges of their
 * weights. Being independent of the rollout bucket, it keeps a subject on its variant when the rollout share rises.
 * Test vectors every implementation must reproduce are published in {@code bucketing/test-vectors.json}.
 */
public final class Bucketing {

    /** Number of buckets: a resolution of 0.01 %. */
    public static final int BUCKETS = 10_000;

    /** MurmurHash3 seed of the variant bucket (the rollout bucket uses seed 0). */
    public static final int VARIANT_SEED = 1;

    private Bucketing() {}

    /** The unsigned 32-bit MurmurHash3 of {@code flagKey:targetingKey}. */
    public static long hash(String flagKey, String targetingKey) {
        return hash(flagKey, targetingKey, 0);
    }

    /** The subject's bucket for this flag, in {@code [0, BUCKETS)}. */
    public static int bucket(String flagKey, String targetingKey) {
        return (int) (hash(flagKey, targetingKey) % BUCKETS);
    }

    /** The unsigned 32-bit MurmurHash3 of {@code flagKey:targetingKey} with seed {@value #VARIANT_SEED}. */
    public static long variantHash(String flagKey, String targetingKey) {
        return hash(flagKey, targetingKey, VARIANT_SEED);
    }

    /**
     * Longest {@code flagKey:targetingKey} hashed from a per-thread buffer; a longer one is encoded into an array of its
     * own.
     */
    static final int BUFFERED_LENGTH = 512;

    /** A thread's buffer at first: room for most keys, and no more than a short-lived thread needs. */
    static final int FIRST_BUFFER_LENGTH = 96;

    /**
     * Each thread's buffer for the UTF-8 bytes of {@code flagKey:targetingKey}, grown up to {@link #BUFFERED_LENGTH}:
     * every flag evaluation and nearly every telemetry event hashes a few, so encoding into a fresh array each time
     * made them a good share of what the services allocate.
     */
    private static final ThreadLocal<byte[]> BUFFER = ThreadLocal.withInitial(() -> new byte[FIRST_BUFFER_LENGTH]);

    private static long hash(String flagKey, String targetingKey, int seed) {
        // A null key hashes as "null", as string concatenation spells it.
        int length = flagKey == null || targetingKey == null
                ? Integer.MAX_VALUE
                : flagKey.length() + 1 + targetingKey.length();
        if (length <= BUFFERED_LENGTH) {
            // Keys and ids are nearly always ASCII, whose UTF-8 is one byte a char.
            byte[] buffer = BUFFER.get();
            if (buffer.length < length) {
                buffer = new byte[Math.min(BUFFERED_LENGTH, Math.max(length, 2 * buffer.length))];
                BUFFER.set(buffer);
            }
            int at = ascii(flagKey, buffer, 0);
            if (at >= 0) {
                buffer[at] = ':';
                at = ascii(targetingKey, buffer, at + 1);
                if (at >= 0) {
                    return Integer.toUnsignedLong(MurmurHash3.hash32x86(buffer, 0, at, seed));
                }
            }
        }
        byte[] bytes = (flagKey + ":" + targetingKey).getBytes(StandardCharsets.UTF_8);
        return Integer.toUnsignedLong(MurmurHash3.hash32x86(bytes, 0, bytes.length, seed));
    }

    /** Copies {@code text} into {@code buffer} from {@code at}; the index after it, or -1 if a char is not ASCII. */
    private static int ascii(String text, byte[] buffer, int at) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c >= 0x80) {
                return -1;
            }
            buffer[at++] = (byte) c;
        }
        return at;
    }

    /**
     * The subject's variant bucket for this flag, in {@code [0, BUCKETS)}: which variant of a weighted split it gets,
     * independent of {@link #bucket} (whether it is in the rollout at all).
     */
    public static int variantBucket(String flagKey, String targetingKey) {
        return (int) (variantHash(flagKey, targetingKey) % BUCKETS);
    }

    /** Whether the subject falls inside a rollout of {@code basisPoints} hundredths of a percent. */
    public static boolean inRollout(String flagKey, String targetingKey, int basisPoints) {
        if (basisPoints < 0 || basisPoints > BUCKETS) {
            throw new IllegalArgumentException("basisPoints must be within 0.." + BUCKETS + ", was " + basisPoints);
        }
        return bucket(flagKey, targetingKey) < basisPoints;
    }

    /** Converts a percentage such as 12.5 to basis points (1250), rejecting finer than 0.01 % or out of range. */
    public static int basisPoints(double percentage) {
        if (!(percentage >= 0 && percentage <= 100)) {
            throw new IllegalArgumentException("percentage must be within 0..100, was " + percentage);
        }
        double scaled = percentage * 100;
        long rounded = Math.round(scaled);
        if (Math.abs(scaled - rounded) > 1e-6) {
            throw new IllegalArgumentException("percentage resolution is 0.01, was " + percentage);
        }
        return (int) rounded;
    }

    /** Converts basis points back to a percentage (1250 -> 12.5). */
    public static double percentage(int basisPoints) {
        return basisPoints / 100.0;
    }
}
