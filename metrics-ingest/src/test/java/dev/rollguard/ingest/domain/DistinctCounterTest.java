package dev.rollguard.ingest.domain;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
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
}
