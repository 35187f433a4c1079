package dev.rollguard.ingest.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.rollguard.schemas.bucketing.Bucketing;
import dev.rollguard.schemas.guard.GuardMetrics;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The hash sample of clients, and the retraction of a client's contribution from the client-level sums. */
class ClientSamplingTest {

    private static final int CLIENTS = 100_000;

    @Test
    void eachLevelTracksHalfTheClientsOfTheLevelBelowAndOnlyThose() {
        int[] tracked = new int[8];
        for (int i = 0; i < CLIENTS; i++) {
            long hash = ClientSampling.hash("client-" + i);
            for (int level = 0; level < tracked.length; level++) {
                boolean in = ClientSampling.tracked(hash, level);
                if (in) {
                    tracked[level]++;
                }
                if (level > 0 && in) {
                    // Nested: raising the level only ever drops clients.
                    assertThat(ClientSampling.tracked(hash, level - 1)).isTrue();
                }
            }
        }
        assertThat(tracked[0]).isEqualTo(CLIENTS);
        for (int level = 1; level < tracked.length; level++) {
            double expected = CLIENTS / Math.pow(2, level);
            // Binomial: within 5 standard deviations.
            assertThat((double) tracked[level]).isCloseTo(expected, within(5 * Math.sqrt(expected)));
        }
        assertThat(ClientSampling.tracked(0L, ClientSampling.MAX_LEVEL)).isTrue();
        assertThat(ClientSampling.tracked(1L, ClientSampling.MAX_LEVEL)).isFalse();
    }

    @Test
    void aClientIsTrackedAtEveryLevelUpToItsHighestAndAtNoneAbove() {
        Random random = new Random(3);
        List<Long> hashes = new ArrayList<>(List.of(0L, 1L, -1L, Long.MIN_VALUE, Long.MAX_VALUE, 1L << 40));
        for (int i = 0; i < 10_000; i++) {
            // Hashes of every highest level, not only the low ones a uniform hash gives.
            hashes.add(random.nextLong() >>> random.nextInt(64));
        }
        for (long hash : hashes) {
            int highest = ClientSampling.highestLevel(hash);
            for (int level = 0; level <= ClientSampling.MAX_LEVEL; level++) {
                assertThat(ClientSampling.tracked(hash, level))
                        .as("hash %x at level %d (highest %d)", hash, level, highest)
                        .isEqualTo(level <= highest);
            }
        }
        assertThat(ClientSampling.highestLevel(0L)).isEqualTo(ClientSampling.MAX_LEVEL);
    }

    @Test
    void theSampleIsIndependentOfTheRolloutBucket() {
        // Treated (bucket below 50 %) and control clients are sampled at the same rate: the sample does not lean to
        // either cohort.
        int[] clients = new int[2];
        int[] sampled = new int[2];
        for (int i = 0; i < CLIENTS; i++) {
            String id = "client-" + i;
            int cohort = Bucketing.bucket("checkout", id) < 5_000 ? 0 : 1;
            clients[cohort]++;
            if (ClientSampling.tracked(id, 3)) {
                sampled[cohort]++;
            }
        }
        for (int cohort = 0; cohort < 2; cohort++) {
            double expected = clients[cohort] / 8.0;
            assertThat((double) sampled[cohort]).isCloseTo(expected, within(5 * Math.sqrt(expected)));
        }
    }

    @Test
    void retractingClientsLeavesExactlyTheSumsOfTheOthers() {
        Random random = new Random(11);
        List<ClientStage> clients = new ArrayList<>();
        List<List<Observation>> events = new ArrayList<>();
        double[] all = new double[GuardMetrics.COUNT * ClientMoments.WIDTH];
        for (int c = 0; c < 200; c++) {
            ClientStage client = new ClientStage();
            List<Observation> mine = new ArrayList<>();
            for (int e = random.nextInt(6); e >= 0; e--) {
                Observation o = observation(random, e);
                client.add(o, all);
                mine.add(o);
            }
            clients.add(client);
            events.add(mine);
        }
        // Drop every third client, then compute the sums of the others from their events directly.
        double[] kept = new double[all.length];
        for (int c = 0; c < clients.size(); c++) {
            if (c % 3 == 0) {
                clients.get(c).retract(all);
            } else {
                ClientStage again = new ClientStage();
                events.get(c).forEach(o -> again.add(o, kept));
            }
        }
        for (int i = 0; i < all.length; i++) {
            assertThat(all[i]).as("part %d", i).isCloseTo(kept[i], within(1e-6 * Math.max(1, Math.abs(kept[i]))));
        }
        // The client counts are whole numbers, exactly those of the kept clients.
        for (int m = 0; m < GuardMetrics.COUNT; m++) {
            assertThat(all[m * ClientMoments.WIDTH]).isEqualTo(kept[m * ClientMoments.WIDTH]);
        }
    }

    static Observation observation(Random random, long time) {
        boolean sync = random.nextBoolean();
        return new Observation(
                sync ? TelemetryKind.SYNC : TelemetryKind.UPLOAD,
                time,
                random.nextInt(10) > 0,
                random.nextInt(4_000),
                0,
                "notes",
                random.nextInt(1_000_000),
                1_000_000,
                random.nextInt(20),
                random.nextInt(3),
                random.nextBoolean() ? -1 : random.nextInt(5),
                random.nextInt(5_000_000),
                random.nextInt(50) == 0,
                null,
                null);
    }
}
