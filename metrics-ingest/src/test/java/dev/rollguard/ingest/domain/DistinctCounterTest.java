package dev.rollguard.ingest.domain;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.apache.commons.codec.digest.MurmurHash3;
import org.junit.jupiter.api.Test;

class DistinctCounterTest {

    static long hash(String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        return MurmurHash3.hash128x64(bytes, 0, bytes.length, 0)[0];
    }

    @Test
    void isExactBelowK() {
        DistinctCounter counter = new DistinctCounter(1024);
        for (int i = 0; i < 1000; i++) {
            counter.add(hash("client-" + (i % 700)));
        }
        assertThat(counter.estimate()).isEqualTo(700);
    }

    @Test
    void estimatesLargeCountsWithinAFewPercent() {
        DistinctCounter counter = new DistinctCounter(1024);
        for (int i = 0; i < 200_000; i++) {
            counter.add(hash("client-" + i));
        }
        assertThat(counter.estimate()).isBetween(188_000L, 212_000L);
    }

    @Test
    void mergingEqualsCountingTheUnion() throws Exception {
        DistinctCounter left = new DistinctCounter(256);
        DistinctCounter right = new DistinctCounter(256);
        DistinctCounter both = new DistinctCounter(256);
        for (int i = 0; i < 5000; i++) {
            long h = hash("c" + i);
            (i % 3 == 0 ? left : right).add(h);
            both.add(h);
            if (i % 5 == 0) {
                left.add(h); // overlap counts once
            }
        }
        left.merge(right);
        assertThat(left.estimate()).isEqualTo(both.estimate());

        ByteBuffer bytes = ByteBuffer.allocate(left.encodedSize());
        left.write(bytes);
        DistinctCounter read = DistinctCounter.read(bytes.flip());
        assertThat(read.estimate()).isEqualTo(both.estimate());
    }

    /**
     * Adds, merges and serialization in any interleaving keep exactly the K smallest distinct hashes, as a sorted set
     * cut to K does: the same estimate and, written out, the hashes in ascending order.
     */
    @Test
    void keepsExactlyTheKSmallestDistinctHashesHoweverAddsAndMergesInterleave() {
        int k = 64;
        SplittableRandom random = new SplittableRandom(3);
        for (int run = 0; run < 200; run++) {
            DistinctCounter counter = new DistinctCounter(k);
            TreeSet<Long> expected = new TreeSet<>();
            int steps = random.nextInt(1, 600);
            for (int step = 0; step < steps; step++) {
                int what = random.nextInt(100);
                if (what < 85) {
                    // Few values, so that many repeat; negative hashes included.
                    long hash = hash("c" + random.nextInt(run % 2 == 0 ? 40 : 400));
                    counter.add(hash);
                    keepSmallest(expected, k, hash >>> 1);
                } else if (what < 92) {
                    DistinctCounter other = new DistinctCounter(k);
                    for (int i = random.nextInt(150); i > 0; i--) {
                        long hash = random.nextLong();
                        other.add(hash);
                        keepSmallest(expected, k, hash >>> 1);
                    }
                    counter.merge(other);
                } else if (what < 96) {
                    assertThat(counter.estimate()).isEqualTo(estimate(expected, k));
                } else {
                    counter = roundTrip(counter);
                }
            }
            assertThat(hashes(counter)).containsExactlyElementsOf(expected);
            assertThat(counter.estimate()).isEqualTo(estimate(expected, k));
        }
    }

    private static void keepSmallest(TreeSet<Long> kept, int k, long value) {
        kept.add(value);
        if (kept.size() > k) {
            kept.pollLast();
        }
    }

    private static long estimate(TreeSet<Long> kept, int k) {
        return kept.size() < k ? kept.size() : Math.round((k - 1) / ((kept.last() + 1.0) / 0x1p63));
    }

    private static DistinctCounter roundTrip(DistinctCounter counter) {
        ByteBuffer bytes = ByteBuffer.allocate(counter.encodedSize());
        counter.write(bytes);
        assertThat(bytes.hasRemaining()).isFalse();
        return DistinctCounter.read(bytes.flip());
    }

    /** The hashes as written: K, the count, then the hashes. */
    private static List<Long> hashes(DistinctCounter counter) {
        ByteBuffer bytes = ByteBuffer.allocate(counter.encodedSize());
        counter.write(bytes);
        bytes.flip().getInt();
        int size = bytes.getInt();
        List<Long> hashes = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            hashes.add(bytes.getLong());
        }
        return hashes;
    }
}
