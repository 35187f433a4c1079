package dev.rollguard.schemas.keys;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.apache.commons.codec.digest.MurmurHash3;

/**
 * A Bloom filter of targeting keys: the flag-service adds every key it evaluates a flag under rollout for, and
 * metrics-ingest asks whether the key an event is bucketed by is among them. It answers "maybe" for every key added
 * (no false negatives) and for a share of the others, the false-positive rate, which it is sized for.
 *
 * <p>Sizing, for {@code n} keys at a false-positive rate {@code p}: {@code m = -n ln p / (ln 2)^2} bits rounded up
 * to whole 64-bit words, {@code k = m / n ln 2} positions per key, rounded; then {@code m} grows by a word until the
 * expected rate at {@code n} keys, {@code (1 - e^(-k n / m))^k}, is at most {@code p}. 10 000 keys at 1 % take
 * 11 992 bytes and 7 positions.
 *
 * <p>Positions (double hashing, Kirsch and Mitzenmacher): MurmurHash3 x64 128 (Apache Commons Codec, seed 0) of
 * the key's UTF-8 bytes gives {@code h1} and {@code h2}; position {@code i} is {@code (h1 + i * (h2 | 1))} in 64-bit
 * arithmetic, taken unsigned, modulo {@code m}. The hash depends on the key only, so one {@link Hash} serves every
 * filter. Adding is thread-safe (a compare-and-set per word); the layout of {@link #toBytes} is bit {@code j} in
 * bit {@code j mod 8} of byte {@code j / 8}.
 */
public final class KeyDigest {

    private static final double LN2 = Math.log(2);

    private final AtomicLongArray words;
    private final long bits;
    private final int hashFunctions;
    private final AtomicLong keys;

    /** The two 64-bit halves of a key's hash. */
    public record Hash(long h1, long h2) {}

    private KeyDigest(AtomicLongArray words, int hashFunctions, long keys) {
        if (words.length() == 0 || hashFunctions < 1) {
            throw new IllegalArgumentException("a digest needs at least one word and one hash function");
        }
        this.words = words;
        this.bits = (long) words.length() * Long.SIZE;
        this.hashFunctions = hashFunctions;
        this.keys = new AtomicLong(keys);
    }

    /** An empty filter for {@code capacity} keys at {@code falsePositiveRate}. */
    public static KeyDigest sized(long capacity, double falsePositiveRate) {
        if (capacity < 1 || !(falsePositiveRate > 0 && falsePositiveRate < 1)) {
            throw new IllegalArgumentException("capacity must be positive and the false-positive rate within (0, 1)");
        }
        long m = wordsFor(-capacity * Math.log(falsePositiveRate) / (LN2 * LN2)) * Long.SIZE;
        int k = hashFunctionsFor(m, capacity);
        while (expectedFalsePositiveRate(m, k, capacity) > falsePositiveRate) {
            m += Long.SIZE;
            k = hashFunctionsFor(m, capacity);
        }
        if (m / Long.SIZE > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a digest of " + capacity + " keys would be too large");
        }
        return new KeyDigest(new AtomicLongArray((int) (m / Long.SIZE)), k, 0);
    }

    /** A filter read back from {@link #toBytes} (a multiple of 8 bytes). */
    public static KeyDigest of(byte[] bytes, int hashFunctions, long keys) {
        if (bytes.length % Long.BYTES != 0) {
            throw new IllegalArgumentException("a digest holds whole 64-bit words, got " + bytes.length + " bytes");
        }
        AtomicLongArray words = new AtomicLongArray(bytes.length / Long.BYTES);
        for (int w = 0; w < words.length(); w++) {
            long word = 0;
            for (int b = Long.BYTES - 1; b >= 0; b--) {
                word = (word << 8) | (bytes[w * Long.BYTES + b] & 0xFFL);
            }
            words.set(w, word);
        }
        return new KeyDigest(words, hashFunctions, keys);
    }

    /** The hash of a key, for {@link #add(Hash)} and {@link #mightContain(Hash)}. */
    public static Hash hash(String key) {
        byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
        long[] h = MurmurHash3.hash128x64(bytes, 0, bytes.length, 0);
        return new Hash(h[0], h[1]);
    }

    /** The expected false-positive rate of {@code m} bits and {@code k} positions holding {@code n} keys. */
    public static double expectedFalsePositiveRate(long m, int k, long n) {
        return Math.pow(1 - Math.exp(-(double) k * n / m), k);
    }

    /** Adds a key; whether it was new (some of its bits were not set yet). */
    public boolean add(String key) {
        return add(hash(key));
    }

    /** Adds a hashed key; whether it was new (some of its bits were not set yet). */
    public boolean add(Hash hash) {
        boolean added = false;
        long step = hash.h2() | 1;
        for (int i = 0; i < hashFunctions; i++) {
            long bit = Long.remainderUnsigned(hash.h1() + i * step, bits);
            int word = (int) (bit >>> 6);
            long mask = 1L << (bit & 63);
            long old = words.get(word);
            while ((old & mask) == 0) {
                if (words.compareAndSet(word, old, old | mask)) {
                    added = true;
                    break;
                }
                old = words.get(word);
            }
        }
        if (added) {
            keys.incrementAndGet();
        }
        return added;
    }

    /** Whether the key may have been added: always when it was, and for a share of the others. */
    public boolean mightContain(Hash hash) {
        long step = hash.h2() | 1;
        for (int i = 0; i < hashFunctions; i++) {
            long bit = Long.remainderUnsigned(hash.h1() + i * step, bits);
            if ((words.get((int) (bit >>> 6)) & (1L << (bit & 63))) == 0) {
                return false;
            }
        }
        return true;
    }

    /** Whether the key may have been added. */
    public boolean mightContain(String key) {
        return mightContain(hash(key));
    }

    /** The bits, bit {@code j} in bit {@code j mod 8} of byte {@code j / 8}. */
    public byte[] toBytes() {
        byte[] bytes = new byte[words.length() * Long.BYTES];
        for (int w = 0; w < words.length(); w++) {
            long word = words.get(w);
            for (int b = 0; b < Long.BYTES; b++) {
                bytes[w * Long.BYTES + b] = (byte) (word >>> (8 * b));
            }
        }
        return bytes;
    }

    /** The false-positive rate the filter has now, from the share of its bits that are set. */
    public double currentFalsePositiveRate() {
        long set = 0;
        for (int w = 0; w < words.length(); w++) {
            set += Long.bitCount(words.get(w));
        }
        return Math.pow((double) set / bits, hashFunctions);
    }

    /** Number of bits. */
    public long bits() {
        return bits;
    }

    /** Number of positions per key. */
    public int hashFunctions() {
        return hashFunctions;
    }

    /** Distinct keys added (a key whose positions were all set already is not counted). */
    public long keys() {
        return keys.get();
    }

    /** Size in bytes of {@link #toBytes}. */
    public int sizeInBytes() {
        return words.length() * Long.BYTES;
    }

    private static long wordsFor(double bits) {
        return Math.max(1, (long) Math.ceil(bits / Long.SIZE));
    }

    private static int hashFunctionsFor(long m, long n) {
        return (int) Math.max(1, Math.round((double) m / n * LN2));
    }
}
