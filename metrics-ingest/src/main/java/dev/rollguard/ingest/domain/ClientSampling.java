package dev.rollguard.ingest.domain;

import java.nio.charset.StandardCharsets;
import org.apache.commons.codec.digest.MurmurHash3;

/**
 * Which clients the guard tracks per cohort once a cohort has more clients than it needs: consistent hash sampling
 * ("threshold sampling": Duffield, Lund, Thorup, "Priority sampling for estimation of arbitrary subset sums", JACM
 * 2007; Cohen and Kaplan, "Summarizing data using bottom-k sketches", PODC 2007; the same idea as the K minimum values
 * of {@link DistinctCounter}). A client is tracked at level {@code L} when the top {@code L} bits of its 64-bit hash
 * are zero, that is when the hash, read unsigned, is below {@code 2^(64 - L)}: a fraction {@code 2^-L} of all clients.
 * Raising the level halves the threshold, and a client tracked at a level is tracked at every lower one, so raising it
 * only ever drops clients, never admits one that was left out.
 *
 * <p>The hash is MurmurHash3 x64 128 (Apache Commons Codec) of the client id with a seed of its own, so it is
 * independent of the rollout bucketing (MurmurHash3 x86 32 of flag key and targeting key) and of the distinct-client
 * hash (seed 0). Inclusion depends on the client id only, never on what the client reports or on its cohort: the
 * tracked clients of each cohort are a uniform random sample of its clients, so the ratio estimate {@code sum Y / sum
 * X} over them and its delta-method variance stay consistent for the cohort, and treatment and control are compared
 * on the same terms.
 */
public final class ClientSampling {

    /** Seed of the sampling hash: any seed other than those of the bucketing and the distinct counter. */
    static final int SEED = 0x5EED_C11E;
    /** The highest level: only the hash 0 would still be tracked. */
    public static final int MAX_LEVEL = 64;

    private ClientSampling() {}

    /** The client's sampling hash. */
    public static long hash(String clientId) {
        byte[] bytes = clientId.getBytes(StandardCharsets.UTF_8);
        return MurmurHash3.hash128x64(bytes, 0, bytes.length, SEED)[0];
    }

    /** Whether a client of hash {@code hash} is tracked at {@code level} (0 tracks every client). */
    public static boolean tracked(long hash, int level) {
        if (level <= 0) {
            return true;
        }
        if (level >= MAX_LEVEL) {
            return hash == 0;
        }
        return hash >>> (64 - level) == 0;
    }

    /**
     * The highest level at which a client of hash {@code hash} is tracked: the number of leading zero bits of its hash
     * (64 for the hash 0). It is tracked at a level exactly when the level is at most this one, so a rise from level
     * {@code L} to {@code L + 1} drops exactly the clients whose highest level is {@code L}.
     */
    public static int highestLevel(long hash) {
        return Long.numberOfLeadingZeros(hash);
    }

    /** Whether the client is tracked at {@code level}. */
    public static boolean tracked(String clientId, int level) {
        return tracked(hash(clientId), level);
    }
}
