package dev.rollguard.schemas.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class KeyDigestTest {

    @ParameterizedTest(name = "{0} keys at {1}")
    @CsvSource({"10000, 0.01", "1000, 0.05", "50000, 0.001"})
    void filledToCapacityItsFalsePositiveRateStaysWithinTheBoundItWasSizedFor(int capacity, double rate) {
        KeyDigest digest = KeyDigest.sized(capacity, rate);
        for (int i = 0; i < capacity; i++) {
            digest.add("user-" + i + "@example.com");
        }
        int trials = 400_000;
        int falsePositives = 0;
        for (int i = 0; i < trials; i++) {
            if (digest.mightContain("other-" + i)) {
                falsePositives++;
            }
        }
        // The observed share of a binomial(trials, rate) stays within rate + 4 standard deviations.
        double bound = rate + 4 * Math.sqrt(rate * (1 - rate) / trials);
        assertThat((double) falsePositives / trials).isLessThanOrEqualTo(bound);
        assertThat(KeyDigest.expectedFalsePositiveRate(digest.bits(), digest.hashFunctions(), capacity))
                .isLessThanOrEqualTo(rate);
        assertThat(digest.currentFalsePositiveRate()).isLessThanOrEqualTo(bound);
    }

    @Test
    void everyKeyAddedIsFoundAgainAlsoAfterARoundTripThroughItsBytes() {
        KeyDigest digest = KeyDigest.sized(5_000, 0.01);
        List<String> keys = IntStream.range(0, 5_000).mapToObj(i -> "k" + i).toList();
        keys.forEach(digest::add);
        KeyDigest read = KeyDigest.of(digest.toBytes(), digest.hashFunctions(), digest.keys());
        assertThat(keys).allMatch(digest::mightContain).allMatch(read::mightContain);
        assertThat(read.toBytes()).isEqualTo(digest.toBytes());
        assertThat(read.keys()).isEqualTo(digest.keys()).isBetween(4_900L, 5_000L);
    }

    @Test
    void theDocumentedSizeOfTenThousandKeysAtOnePercent() {
        KeyDigest digest = KeyDigest.sized(10_000, 0.01);
        assertThat(digest.sizeInBytes()).isEqualTo(11_992);
        assertThat(digest.hashFunctions()).isEqualTo(7);
    }

    @Test
    void aKeyAddedTwiceCountsOnce() {
        KeyDigest digest = KeyDigest.sized(100, 0.01);
        assertThat(digest.add("alice@example.com")).isTrue();
        assertThat(digest.add("alice@example.com")).isFalse();
        assertThat(digest.keys()).isEqualTo(1);
        assertThat(digest.mightContain("bob@example.com")).isFalse();
    }

    @Test
    void concurrentAddsLoseNoKey() throws InterruptedException {
        KeyDigest digest = KeyDigest.sized(40_000, 0.01);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int offset = t;
            Thread thread = new Thread(() -> {
                for (int i = 0; i < 10_000; i++) {
                    digest.add("t" + offset + "-" + i);
                }
            });
            thread.start();
            threads.add(thread);
        }
        for (Thread thread : threads) {
            thread.join();
        }
        for (int t = 0; t < 4; t++) {
            for (int i = 0; i < 10_000; i++) {
                assertThat(digest.mightContain("t" + t + "-" + i)).isTrue();
            }
        }
    }

    @Test
    void theHashIsMurmurHash3X64Of128BitsAndThePositionsFollowIt() {
        // One key's positions, fixed: another implementation (a client, another service) must find the same ones.
        KeyDigest digest = KeyDigest.sized(10, 0.01);
        digest.add("alice@example.com");
        KeyDigest.Hash hash = KeyDigest.hash("alice@example.com");
        byte[] bytes = digest.toBytes();
        long step = hash.h2() | 1;
        int set = 0;
        for (int i = 0; i < digest.hashFunctions(); i++) {
            long bit = Long.remainderUnsigned(hash.h1() + i * step, digest.bits());
            assertThat(bytes[(int) (bit / 8)] & (1 << (bit % 8))).isNotZero();
        }
        for (byte b : bytes) {
            set += Integer.bitCount(b & 0xFF);
        }
        assertThat(set).isBetween(1, digest.hashFunctions());
    }

    @Test
    void refusesNonsense() {
        assertThatThrownBy(() -> KeyDigest.sized(0, 0.01)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> KeyDigest.sized(10, 1.0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> KeyDigest.of(new byte[7], 3, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
