package dev.rollguard.ingest.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.rollguard.ingest.domain.ClientMoments;
import dev.rollguard.ingest.domain.ClientSampling;
import dev.rollguard.ingest.domain.ClientStage;
import dev.rollguard.ingest.domain.Observation;
import dev.rollguard.ingest.domain.TelemetryKind;
import dev.rollguard.schemas.guard.GuardMetrics;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.common.utils.ByteUtils;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The per-cohort cap of the guard's client state: the hash sample, the retraction of dropped clients, the level
 * across a restart, and the client-level statistic under sampling against the one of every client.
 */
class ClientStageStoreTest {

    private static final String COHORT = ClientStageStore.cohort("checkout", 7, "TREATMENT");
    private static final int WIDTH = GuardMetrics.COUNT * ClientMoments.WIDTH;

    private KeyValueStore<String, byte[]> changelog;

    @BeforeEach
    void open() {
        changelog = InMemoryChangelog.open(ClientStageStore.STORE);
    }

    /** A store over the same changelog, read back as after a restart. */
    private ClientStageStore store() {
        return new ClientStageStore(changelog);
    }

    private static Observation sync(boolean success, long time) {
        return new Observation(
                TelemetryKind.SYNC, time, success, 120, 0, "notes", -1, -1, 3, 0, -1, 0, false, null, null);
    }

    /** Feeds an event of a client to the store; what it adds or retracts goes to {@code sums}. */
    private static void event(ClientStageStore store, String client, Observation o, int cap, double[] sums) {
        ClientStage state = store.admit(COHORT, client, cap, sums);
        if (state != null) {
            state.add(o, sums);
        }
    }

    @Test
    void aCohortTracksAtMostTheCapAndItsSumsAreThoseOfTheTrackedClients() {
        ClientStageStore store = store();
        Random random = new Random(5);
        int cap = 300;
        double[] sums = new double[WIDTH];
        Map<String, List<Observation>> events = new HashMap<>();
        for (int i = 0; i < 20_000; i++) {
            // 5 000 clients, each back a few times in random order.
            String client = "client-" + random.nextInt(5_000);
            Observation o = sync(random.nextInt(10) > 0, i);
            events.computeIfAbsent(client, c -> new ArrayList<>()).add(o);
            event(store, client, o, cap, sums);
            assertThat(store.trackedClients(COHORT)).isLessThanOrEqualTo(cap);
        }
        int level = store.level(COHORT);
        assertThat(level).isGreaterThan(0);
        // The tracked clients are exactly those below the level's threshold, and the sums are theirs.
        double[] direct = new double[WIDTH];
        int tracked = 0;
        for (var client : events.entrySet()) {
            boolean in = ClientSampling.tracked(client.getKey(), level);
            assertThat(store.tracked(COHORT + client.getKey()) != null)
                    .as(client.getKey())
                    .isEqualTo(in);
            if (in) {
                tracked++;
                ClientStage again = new ClientStage();
                client.getValue().forEach(o -> again.add(o, direct));
            }
        }
        assertThat(store.trackedClients(COHORT)).isEqualTo(tracked).isGreaterThan(cap / 4);
        for (int i = 0; i < WIDTH; i++) {
            assertThat(sums[i]).as("part %d", i).isCloseTo(direct[i], within(1e-6 * Math.max(1, Math.abs(direct[i]))));
        }
    }

    @Test
    void theLevelAndTheCountSurviveARestart() {
        ClientStageStore store = store();
        double[] sums = new double[WIDTH];
        for (int i = 0; i < 2_000; i++) {
            event(store, "client-" + i, sync(true, i), 100, sums);
        }
        int level = store.level(COHORT);
        int tracked = store.trackedClients(COHORT);
        assertThat(level).isGreaterThan(0);
        store.flushCache();

        ClientStageStore restarted = store();
        assertThat(restarted.level(COHORT)).isEqualTo(level);
        assertThat(restarted.trackedClients(COHORT)).isEqualTo(tracked);
        String outside = null;
        for (int i = 2_000; outside == null; i++) {
            if (!ClientSampling.tracked("client-" + i, level)) {
                outside = "client-" + i;
            }
        }
        assertThat(restarted.admit(COHORT, outside, 100, new double[WIDTH])).isNull();
        assertThat(changelog.get(ClientStageStore.SAMPLE + COHORT)).isNotNull();
    }

    @Test
    void aStageThatEndedTakesItsClientsAndItsLevelAlong() {
        ClientStageStore store = store();
        double[] sums = new double[WIDTH];
        for (int i = 0; i < 500; i++) {
            event(store, "client-" + i, sync(true, i), 50, sums);
        }
        store.flushCache();
        assertThat(changelog.get(ClientStageStore.SAMPLE + COHORT)).isNotNull();
        store.sweep(key -> ClientStageStore.stageVersion(key) == 7, (key, state) -> false);
        store.flushCache();
        assertThat(store.trackedClients(COHORT)).isZero();
        assertThat(store.level(COHORT)).isZero();
        try (var all = changelog.all()) {
            assertThat(all.hasNext()).isFalse();
        }
    }

    @Test
    void expiredClientsLeaveButTheLevelStays() {
        ClientStageStore store = store();
        double[] sums = new double[WIDTH];
        for (int i = 0; i < 500; i++) {
            event(store, "client-" + i, sync(true, i), 50, sums);
        }
        int level = store.level(COHORT);
        store.sweep(key -> false, (key, state) -> state.lastSeen() < 400);
        assertThat(store.level(COHORT)).isEqualTo(level);
        long tracked = 0;
        for (int i = 400; i < 500; i++) {
            if (ClientSampling.tracked("client-" + i, level)) {
                tracked++;
            }
        }
        assertThat(store.trackedClients(COHORT)).isEqualTo(tracked);
    }

    /**
     * A rise drops the clients of its cohort from the cohort's own lists, not from a look at every client: after each
     * restore (the lists built again from the records read back) and each expiry (the lists pruned), every cohort is
     * made to rise, by events of new clients reaching all cohorts at once, and then every cohort tracks exactly
     * clients of its level, lists exactly those, and its sums are those of its tracked clients plus those of the
     * clients that expired.
     */
    @Test
    void aRiseDropsExactlyTheClientsItLeavesOutAcrossRestoresAndExpiries() {
        int cohortCount = 4;
        String[] prefixes = new String[cohortCount];
        for (int c = 0; c < cohortCount; c++) {
            prefixes[c] = ClientStageStore.cohort("flag-" + c / 2, 3, c % 2 == 0 ? "TREATMENT" : "CONTROL");
        }
        Random random = new Random(17);
        ClientStageStore store = store();
        double[][] sums = new double[cohortCount][WIDTH];
        double[][] expired = new double[cohortCount][WIDTH];
        int cap = 150;
        List<String> clients = new ArrayList<>();
        for (int i = 0; i < 3_400; i++) {
            clients.add("client-" + i);
        }
        int rises = 0;
        int checkpoints = 0;
        for (int e = 0; e < 40_000; e++) {
            boolean restore = e % 8_000 == 7_999;
            boolean expiry = e % 11_000 == 10_999;
            if (restore) {
                store.flushCache();
                store = store();
            }
            if (expiry) {
                assertThat(expire(store, e - 2_000, prefixes, expired)).isPositive();
            }
            if (restore || expiry) {
                checkpoints++;
                rises += riseInEveryCohort(store, prefixes, sums, clients, e);
                assertCohorts(store, prefixes, sums, expired, cap, clients);
            }
            // Clients come and go: a client's events lie within a stretch of the run, so some of them expire.
            String client = clients.get(e * 3_000 / 40_000 + random.nextInt(400));
            List<Integer> reached = new ArrayList<>();
            for (int c = 0; c < cohortCount; c++) {
                if (random.nextInt(4) > 0) {
                    reached.add(c);
                }
            }
            int n = reached.size();
            String[] eventPrefixes = new String[n];
            double[][] eventSums = new double[n][];
            for (int k = 0; k < n; k++) {
                eventPrefixes[k] = prefixes[reached.get(k)];
                eventSums[k] = sums[reached.get(k)];
            }
            store.count(client, eventPrefixes, eventSums, n, sync(random.nextInt(6) > 0, e), cap, new boolean[n]);
        }
        assertThat(checkpoints).isEqualTo(8);
        assertThat(rises).isGreaterThanOrEqualTo(checkpoints * cohortCount);
        // The last word is a sweep's, not a restore's (which lists the clients afresh).
        assertThat(expire(store, 38_000, prefixes, expired)).isPositive();
        assertCohorts(store, prefixes, sums, expired, cap, clients);
    }

    /**
     * Makes every cohort rise: events of new clients (added to {@code clients}) with a cap one below what the cohort
     * tracks, until one of them is admitted. Returns how many rises.
     */
    private static int riseInEveryCohort(
            ClientStageStore store, String[] prefixes, double[][] sums, List<String> clients, long time) {
        int rises = 0;
        for (int c = 0; c < prefixes.length; c++) {
            int before = store.level(prefixes[c]);
            int cap = Math.max(1, store.trackedClients(prefixes[c]) - 1);
            while (store.level(prefixes[c]) == before) {
                String client = "new-" + clients.size();
                clients.add(client);
                store.count(
                        client,
                        new String[] {prefixes[c]},
                        new double[][] {sums[c]},
                        1,
                        sync(true, time),
                        cap,
                        new boolean[1]);
            }
            rises += store.level(prefixes[c]) - before;
        }
        return rises;
    }

    /**
     * Every cohort tracks only clients of its level, at most the cap, lists exactly those, and its sums are those of
     * its tracked clients plus {@code expired} (what the expired ones added, retracted).
     */
    private static void assertCohorts(
            ClientStageStore store,
            String[] prefixes,
            double[][] sums,
            double[][] expired,
            int cap,
            List<String> clients) {
        for (int c = 0; c < prefixes.length; c++) {
            int level = store.level(prefixes[c]);
            double[] current = new double[WIDTH];
            int tracked = 0;
            for (String client : clients) {
                ClientStage state = store.tracked(prefixes[c] + client);
                if (state != null) {
                    assertThat(ClientSampling.tracked(client, level)).as(client).isTrue();
                    state.retract(current);
                    tracked++;
                }
            }
            assertThat(store.trackedClients(prefixes[c])).isEqualTo(tracked).isLessThanOrEqualTo(cap);
            assertThat(store.listedClients(prefixes[c])).isEqualTo(tracked);
            for (int i = 0; i < WIDTH; i++) {
                double expected = -(current[i] + expired[c][i]);
                assertThat(sums[c][i])
                        .as("cohort %d, part %d", c, i)
                        .isCloseTo(expected, within(1e-6 * Math.max(1, Math.abs(expected))));
            }
        }
    }

    /**
     * Expires the states last seen before {@code before}; what each had added to the sums of its cohort (of {@code
     * prefixes}) is retracted from {@code expired} instead. Returns how many.
     */
    private static int expire(ClientStageStore store, long before, String[] prefixes, double[][] expired) {
        return store.sweep(key -> false, (key, state) -> {
            if (state.lastSeen() >= before) {
                return false;
            }
            state.retract(expired[Arrays.asList(prefixes).indexOf(ClientStageStore.cohortOf(key))]);
            return true;
        });
    }

    /**
     * 40 000 clients with exponentially distributed event counts and skewed client-specific failure rates (clustered
     * failures), a
     * cap of 2 000: the failure ratio and its delta-method variance from the sampled sums against those of every
     * client. The sampled ratio lies within 3 of its own standard errors of the full one, and the variance scaled
     * by the clients (the per-client spread it estimates) within 25 % of the full one.
     */
    @Test
    void theSampledStatisticStaysCloseToTheOneOfEveryClient() {
        ClientStageStore store = store();
        Random random = new Random(3);
        double[] sampled = new double[WIDTH];
        double[] full = new double[WIDTH];
        long time = 0;
        for (int c = 0; c < 40_000; c++) {
            String client = "client-" + c;
            ClientStage everyClient = new ClientStage();
            double rate = 0.01 + 0.5 * Math.pow(random.nextDouble(), 6);
            int n = 1 + (int) (-5 * Math.log(1 - random.nextDouble()));
            for (int e = 0; e < n; e++) {
                Observation o = sync(random.nextDouble() >= rate, time++);
                everyClient.add(o, full);
                event(store, client, o, 2_000, sampled);
            }
        }
        assertThat(store.trackedClients(ClientStageStoreTest.COHORT)).isBetween(500, 2_000);
        double[] f = failure(full);
        double[] s = failure(sampled);
        assertThat(f[0]).isEqualTo(40_000);
        assertThat(s[0]).isEqualTo(store.trackedClients(COHORT));
        assertThat(s[1]).isCloseTo(f[1], within(3 * Math.sqrt(s[2])));
        assertThat(s[2] * s[0]).isCloseTo(f[2] * f[0], within(0.25 * f[2] * f[0]));
    }

    /** Clients, ratio and delta-method variance of the failure metric from the sums (as the alert-service reads them). */
    private static double[] failure(double[] sums) {
        double n = sums[0];
        double y = sums[1];
        double x = sums[2];
        double r = y / x;
        double residuals = sums[3] - 2 * r * sums[5] + r * r * sums[4];
        return new double[] {n, r, n / (n - 1) * residuals / (x * x)};
    }

    @Test
    void theRecordsOfEarlierVersionsOnePerClientAndCohortAreReadIntoOnePerClient() {
        String other = ClientStageStore.cohort("search", 3, "CONTROL");
        ClientStage a = new ClientStage();
        a.add(sync(false, 10), new double[WIDTH]);
        ClientStage b = new ClientStage();
        b.add(sync(true, 20), new double[WIDTH]);
        changelog.put(COHORT + "client-a", a.toBytes());
        changelog.put(other + "client-a", b.toBytes());
        changelog.put(COHORT + "client-b", b.toBytes());
        changelog.put(
                ClientStageStore.SAMPLE + COHORT,
                java.nio.ByteBuffer.allocate(4).putInt(1).array());

        ClientStageStore store = store();
        assertThat(store.trackedClients(COHORT)).isEqualTo(2);
        assertThat(store.trackedClients(other)).isEqualTo(1);
        assertThat(store.level(COHORT)).isEqualTo(1);
        assertThat(store.tracked(COHORT + "client-a").lastSeen()).isEqualTo(10);
        assertThat(store.tracked(other + "client-a").lastSeen()).isEqualTo(20);
        assertThat(store.tracked(COHORT + "client-b").lastSeen()).isEqualTo(20);
        store.flushCache();

        List<String> keys = new ArrayList<>();
        try (var all = changelog.all()) {
            all.forEachRemaining(kv -> keys.add(kv.key));
        }
        keys.removeIf(key -> key.startsWith(ClientStageStore.COHORT_ID));
        assertThat(keys)
                .containsExactlyInAnyOrder(
                        ClientStageStore.CLIENT + "client-a",
                        ClientStageStore.CLIENT + "client-b",
                        ClientStageStore.SAMPLE + COHORT);
        assertThat(dictionary().values()).containsExactlyInAnyOrder(COHORT, other);
        ClientStageStore restarted = store();
        assertThat(restarted.trackedClients(COHORT)).isEqualTo(2);
        assertThat(restarted.tracked(other + "client-a").lastSeen()).isEqualTo(20);

        // The clients read from the earlier records are listed by their level: a rise finds those it leaves out.
        assertThat(store.listedClients(COHORT)).isEqualTo(2);
        assertThat(store.listedClients(other)).isEqualTo(1);
        assertRiseFindsEveryClient(store, COHORT, List.of("client-a", "client-b"));
    }

    /**
     * Admits new clients with a cap of 1 until {@code cohort} tracks at most one: each rise drops the clients it leaves
     * out, those of {@code clients} among them, so none of them stays untracked at the level reached.
     */
    private static void assertRiseFindsEveryClient(ClientStageStore store, String cohort, List<String> clients) {
        int level = store.level(cohort);
        for (int i = 0; store.level(cohort) < level + 3; i++) {
            store.admit(cohort, "riser-" + i, 1, new double[WIDTH]);
        }
        for (String client : clients) {
            if (store.tracked(cohort + client) != null) {
                assertThat(ClientSampling.tracked(client, store.level(cohort)))
                        .as(client)
                        .isTrue();
            }
        }
        assertThat(store.trackedClients(cohort)).isLessThanOrEqualTo(1).isEqualTo(store.listedClients(cohort));
    }

    @Test
    void aClientsStatesInSeveralCohortsAreOneRecord() {
        ClientStageStore store = store();
        double[] sums = new double[WIDTH];
        List<String> cohorts = new ArrayList<>();
        for (int f = 0; f < 20; f++) {
            cohorts.add(ClientStageStore.cohort("flag-" + f, 1, f % 2 == 0 ? "TREATMENT" : "CONTROL"));
        }
        for (int e = 0; e < 3; e++) {
            for (String cohort : cohorts) {
                ClientStage state = store.admit(cohort, "client-x", 100, sums);
                state.add(sync(e != 1, 1_000 + e), sums);
            }
        }
        store.flushCache();
        List<byte[]> values = new ArrayList<>();
        try (var all = changelog.all()) {
            all.forEachRemaining(kv -> {
                if (kv.key.startsWith(ClientStageStore.CLIENT)) {
                    values.add(kv.value);
                }
            });
        }
        assertThat(values).hasSize(1);
        // Twenty equal states: one encoded, nineteen references to it.
        assertThat(values.get(0).length).isLessThan(20 * 30 + 100);
        ClientStageStore restarted = store();
        for (String cohort : cohorts) {
            assertThat(restarted.trackedClients(cohort)).isEqualTo(1);
            double[] retracted = new double[WIDTH];
            restarted.tracked(cohort + "client-x").retract(retracted);
            double[] expected = new double[WIDTH];
            store.tracked(cohort + "client-x").retract(expected);
            assertThat(retracted).containsExactly(expected);
        }
    }

    @Test
    void aClientsEventsBeforeAndAfterACommitAreBothWritten() {
        ClientStageStore store = store();
        int n = 20;
        String[] cohorts = new String[n];
        double[][] sums = new double[n][WIDTH];
        for (int f = 0; f < n; f++) {
            cohorts[f] = ClientStageStore.cohort("flag-" + f, 1, "TREATMENT");
        }
        boolean[] tracked = new boolean[n];
        store.count("client-x", cohorts, sums, n, sync(true, 1_000), 100, tracked);
        store.count("client-x", cohorts, sums, n, sync(false, 2_000), 100, tracked);
        store.flushCache();
        // The same client right after the commit: its record must be marked changed again.
        store.count("client-x", cohorts, sums, n, sync(true, 3_000), 100, tracked);
        store.flushCache();

        ClientStageStore restarted = store();
        for (String cohort : cohorts) {
            assertThat(restarted.tracked(cohort + "client-x").lastSeen()).isEqualTo(3_000);
            double[] retracted = new double[WIDTH];
            restarted.tracked(cohort + "client-x").retract(retracted);
            double[] expected = new double[WIDTH];
            store.tracked(cohort + "client-x").retract(expected);
            assertThat(retracted).containsExactly(expected);
        }
    }

    @Test
    void aClientsAlikeAndDifferentStatesReadBackAsTheyWere() {
        ClientStageStore store = store();
        double[] sums = new double[WIDTH];
        List<String> cohorts = new ArrayList<>();
        for (int f = 0; f < 6; f++) {
            cohorts.add(ClientStageStore.cohort("flag-" + f, 2, "TREATMENT"));
        }
        for (int e = 0; e < 4; e++) {
            for (int c = 0; c < cohorts.size(); c++) {
                // Cohorts 0-2 see every event, 3 and 4 every second, 5 the failures only: three distinct states.
                boolean sees = c < 3 || (c < 5 && e % 2 == 0) || (c == 5 && e == 1);
                if (sees) {
                    store.admit(cohorts.get(c), "client-y", 100, sums).add(sync(e != 1, 2_000 + e), sums);
                }
            }
        }
        store.flushCache();
        ClientStageStore restarted = store();
        for (String cohort : cohorts) {
            assertThat(restarted.tracked(cohort + "client-y").toBytes())
                    .isEqualTo(store.tracked(cohort + "client-y").toBytes());
        }
    }

    @Test
    void aClientDroppedFromOneCohortIsStillFoundInItsOthersWithinTheSameEvent() {
        String first = ClientStageStore.cohort("first", 1, "TREATMENT");
        String second = ClientStageStore.cohort("second", 1, "TREATMENT");
        String third = ClientStageStore.cohort("third", 1, "TREATMENT");
        // Two clients that a sample of one half splits: "kept" stays tracked at level 1, "dropped" does not.
        String kept = null;
        String dropped = null;
        for (int i = 0; kept == null || dropped == null; i++) {
            String id = "client-" + i;
            if (ClientSampling.tracked(ClientSampling.hash(id), 1)) {
                kept = kept == null ? id : kept;
            } else {
                dropped = dropped == null ? id : dropped;
            }
        }
        ClientStageStore store = store();
        double[] sums = new double[WIDTH];
        store.admit(second, kept, 1, sums).add(sync(true, 1), sums);
        // One event of "dropped": its first cohort passes the cap of 1 and drops it (its whole record, which had no
        // other state yet), the next two must admit it afresh into a new record, and keep it.
        assertThat(store.admit(second, dropped, 1, sums)).isNull();
        store.admit(first, dropped, 1, sums).add(sync(true, 2), sums);
        store.admit(third, dropped, 1, sums).add(sync(true, 2), sums);
        assertThat(store.tracked(first + dropped)).isNotNull();
        assertThat(store.tracked(third + dropped)).isNotNull();
        store.flushCache();

        ClientStageStore restarted = store();
        assertThat(restarted.tracked(first + dropped).lastSeen()).isEqualTo(2);
        assertThat(restarted.tracked(third + dropped).lastSeen()).isEqualTo(2);
        assertThat(restarted.tracked(second + dropped)).isNull();
        assertThat(restarted.tracked(second + kept).lastSeen()).isEqualTo(1);
    }

    /**
     * Counting an event in all its cohorts at once (alike states shared, updated once) gives the sums and states of
     * counting it in each cohort on its own, also across a restart (shared states read back as one) and with events
     * that reach only some of a client's cohorts (a shared state split).
     */
    @Test
    void countingAnEventInAllItsCohortsAtOnceEqualsCountingItInEachOnItsOwn() {
        int cohortCount = 12;
        String[] prefixes = new String[cohortCount];
        for (int c = 0; c < cohortCount; c++) {
            prefixes[c] = ClientStageStore.cohort("flag-" + c, 1, c % 2 == 0 ? "TREATMENT" : "CONTROL");
        }
        Random random = new Random(11);
        ClientStageStore together = store();
        // The reference: a state per cohort and client, each event counted cohort by cohort.
        Map<String, ClientStage> alone = new HashMap<>();
        double[][] togetherSums = new double[cohortCount][WIDTH];
        double[][] aloneSums = new double[cohortCount][WIDTH];
        for (int e = 0; e < 30_000; e++) {
            if (e == 15_000) {
                together.flushCache();
                together = store();
            }
            String client = "client-" + random.nextInt(800);
            Observation o = random.nextBoolean()
                    ? sync(random.nextInt(8) > 0, e)
                    : new Observation(
                            TelemetryKind.UPLOAD,
                            e,
                            random.nextInt(8) > 0,
                            random.nextInt(9_000),
                            0,
                            "notes",
                            random.nextInt(2_000_000),
                            -1,
                            random.nextInt(4),
                            -1,
                            -1,
                            0,
                            false,
                            null,
                            null);
            // Most events reach every cohort; some a random few (a client exposed to some flags only).
            List<Integer> reached = new ArrayList<>();
            for (int c = 0; c < cohortCount; c++) {
                if (random.nextInt(5) > 0 || random.nextInt(4) == 0) {
                    reached.add(c);
                }
            }
            if (random.nextInt(4) == 0) {
                Collections.shuffle(reached, random);
                reached = reached.subList(0, random.nextInt(reached.size() + 1));
            }
            int n = reached.size();
            String[] eventPrefixes = new String[n];
            double[][] eventSums = new double[n][];
            for (int k = 0; k < n; k++) {
                int c = reached.get(k);
                eventPrefixes[k] = prefixes[c];
                eventSums[k] = togetherSums[c];
                alone.computeIfAbsent(prefixes[c] + client, key -> new ClientStage())
                        .add(o, aloneSums[c]);
            }
            boolean[] tracked = new boolean[n];
            together.count(client, eventPrefixes, eventSums, n, o, 1_000_000, tracked);
            for (int k = 0; k < n; k++) {
                assertThat(tracked[k]).isTrue();
            }
        }
        for (int c = 0; c < cohortCount; c++) {
            for (int i = 0; i < WIDTH; i++) {
                // Equal as numbers, bit for bit but for the sign of a zero.
                assertThat(togetherSums[c][i] == aloneSums[c][i])
                        .as("cohort %d, part %d: %s against %s", c, i, togetherSums[c][i], aloneSums[c][i])
                        .isTrue();
            }
        }
        for (Map.Entry<String, ClientStage> state : alone.entrySet()) {
            assertThat(together.tracked(state.getKey()).toBytes())
                    .as(state.getKey())
                    .isEqualTo(state.getValue().toBytes());
        }
    }

    @Test
    void countingAnEventInAllItsCohortsAtOnceSamplesAsAdmittingItToEachDoes() {
        int cohortCount = 6;
        String[] prefixes = new String[cohortCount];
        for (int c = 0; c < cohortCount; c++) {
            prefixes[c] = ClientStageStore.cohort("flag-" + c, 4, "TREATMENT");
        }
        Random random = new Random(17);
        ClientStageStore together = store();
        ClientStageStore oneByOne = new ClientStageStore(InMemoryChangelog.open("one-by-one"));
        double[][] togetherSums = new double[cohortCount][WIDTH];
        double[][] oneByOneSums = new double[cohortCount][WIDTH];
        int cap = 150;
        for (int e = 0; e < 20_000; e++) {
            String client = "client-" + random.nextInt(3_000);
            Observation o = sync(random.nextInt(6) > 0, e);
            int n = 1 + random.nextInt(cohortCount);
            boolean[] tracked = new boolean[n];
            double[][] eventSums = Arrays.copyOf(togetherSums, n);
            together.count(client, prefixes, eventSums, n, o, cap, tracked);
            for (int k = 0; k < n; k++) {
                ClientStage state = oneByOne.admit(prefixes[k], client, cap, oneByOneSums[k]);
                assertThat(state != null).isEqualTo(tracked[k]);
                if (state != null) {
                    state.add(o, oneByOneSums[k]);
                }
            }
        }
        for (int c = 0; c < cohortCount; c++) {
            assertThat(together.level(prefixes[c])).isGreaterThan(0).isEqualTo(oneByOne.level(prefixes[c]));
            assertThat(together.trackedClients(prefixes[c])).isEqualTo(oneByOne.trackedClients(prefixes[c]));
            for (int i = 0; i < WIDTH; i++) {
                assertThat(togetherSums[c][i]).isCloseTo(oneByOneSums[c][i], within(1e-6));
            }
        }
    }

    /**
     * Once every cohort of an event is sampled, a client that all of them leave out costs no look-up and changes
     * nothing, while one that any of them tracks is still counted there (the shortcut must not skip it).
     */
    @Test
    void anEventThatEveryCohortSamplesOutChangesNothingAndOneTrackedAnywhereIsCounted() {
        String[] prefixes = {
            ClientStageStore.cohort("flag-a", 2, "CONTROL"), ClientStageStore.cohort("flag-b", 3, "CONTROL")
        };
        ClientStageStore store = store();
        double[][] sums = new double[2][WIDTH];
        int cap = 50;
        // Clients in the first cohort only raise its level; then clients in the second raise its level above it.
        for (int i = 0; i < 400; i++) {
            store.count("a-" + i, prefixes, sums, 1, sync(true, i), cap, new boolean[1]);
        }
        String[] reversed = {prefixes[1], prefixes[0]};
        double[][] reversedSums = {sums[1], sums[0]};
        for (int i = 0; i < 6_400; i++) {
            store.count("b-" + i, reversed, reversedSums, 1, sync(true, i), cap, new boolean[1]);
        }
        int levelA = store.level(prefixes[0]);
        int levelB = store.level(prefixes[1]);
        assertThat(levelA).isPositive();
        assertThat(levelB).isGreaterThan(levelA + 1);
        store.flushCache();
        String outOfBoth = null;
        String inAOnly = null;
        for (int i = 0; i < 1_000_000 && (outOfBoth == null || inAOnly == null); i++) {
            String client = "new-" + i;
            long hash = ClientSampling.hash(client);
            if (!ClientSampling.tracked(hash, levelA)) {
                outOfBoth = outOfBoth == null ? client : outOfBoth;
            } else if (ClientSampling.tracked(hash, levelA + 1) && !ClientSampling.tracked(hash, levelB)) {
                // Tracked a level above A's too, so a rise its admission might cause keeps it.
                inAOnly = inAOnly == null ? client : inAOnly;
            }
        }
        assertThat(outOfBoth).isNotNull();
        assertThat(inAOnly).isNotNull();
        double[][] before = {sums[0].clone(), sums[1].clone()};

        boolean[] tracked = {true, true};
        store.count(outOfBoth, prefixes, sums, 2, sync(false, 5_000), cap, tracked);

        assertThat(tracked).containsExactly(false, false);
        assertThat(sums[0]).containsExactly(before[0]);
        assertThat(sums[1]).containsExactly(before[1]);
        store.flushCache();
        assertThat(changelog.get(ClientStageStore.CLIENT + outOfBoth)).isNull();

        store.count(inAOnly, prefixes, sums, 2, sync(false, 5_001), cap, tracked);

        assertThat(tracked).containsExactly(true, false);
        assertThat(store.tracked(prefixes[0] + inAOnly)).isNotNull();
        assertThat(sums[0]).isNotEqualTo(before[0]);
        assertThat(sums[1]).containsExactly(before[1]);
    }

    /** The cohort dictionary in the changelog: cohort prefix by id. */
    private Map<Integer, String> dictionary() {
        Map<Integer, String> ids = new HashMap<>();
        try (var all = changelog.all()) {
            all.forEachRemaining(kv -> {
                if (kv.key.startsWith(ClientStageStore.COHORT_ID)) {
                    ids.put(
                            Integer.parseInt(kv.key.substring(ClientStageStore.COHORT_ID.length())),
                            new String(kv.value, StandardCharsets.UTF_8));
                }
            });
        }
        return ids;
    }

    /** The id the changelog's dictionary gives a cohort prefix, or null. */
    private Integer idOf(String cohortPrefix) {
        return dictionary().entrySet().stream()
                .filter(e -> e.getValue().equals(cohortPrefix))
                .map(Map.Entry::getKey)
                .findFirst()
                .orElse(null);
    }

    /**
     * A client record as written before cohorts had ids: how many states, then each as its cohort prefix (UTF-8,
     * length first) and either 0 and the encoded state (length first) or {@code k}, equal to the {@code k}-th
     * distinct state before it.
     */
    private static byte[] recordNamingCohortsByPrefix(List<String> prefixes, List<ClientStage> states) {
        ByteBuffer out = ByteBuffer.allocate(prefixes.size() * (30 + ClientStage.MAX_ENCODED_LENGTH));
        List<ClientStage> distinct = new ArrayList<>();
        ByteUtils.writeUnsignedVarint(prefixes.size(), out);
        for (int i = 0; i < prefixes.size(); i++) {
            byte[] prefix = prefixes.get(i).getBytes(StandardCharsets.UTF_8);
            ByteUtils.writeUnsignedVarint(prefix.length, out);
            out.put(prefix);
            int sameAs = 0;
            for (int d = 0; d < distinct.size() && sameAs == 0; d++) {
                if (distinct.get(d).sameAs(states.get(i))) {
                    sameAs = d + 1;
                }
            }
            ByteUtils.writeUnsignedVarint(sameAs, out);
            if (sameAs == 0) {
                distinct.add(states.get(i));
                byte[] state = states.get(i).toBytes();
                ByteUtils.writeUnsignedVarint(state.length, out);
                out.put(state);
            }
        }
        return Arrays.copyOf(out.array(), out.position());
    }

    private static ClientStage stateOf(Observation... events) {
        ClientStage state = new ClientStage();
        for (Observation o : events) {
            state.add(o, new double[WIDTH]);
        }
        return state;
    }

    /** The figures of a state and what it retracts from the sums, to compare a state read back with its original. */
    private static List<Object> figures(ClientStage state) {
        double[] retracted = new double[WIDTH];
        state.retract(retracted);
        return List.of(Arrays.toString(state.toBytes()), Arrays.toString(retracted));
    }

    /** A record's bytes as text, to look for a cohort prefix (ASCII) in it. */
    private static String text(byte[] record) {
        return new String(record, StandardCharsets.ISO_8859_1);
    }

    @Test
    void aRecordNamesItsCohortsByIdsThatTheDictionaryKeepsAndReadsBackEqual() {
        List<String> prefixes = List.of(
                ClientStageStore.cohort("checkout-new-payment-flow", 12, "TREATMENT"),
                ClientStageStore.cohort("search", 3, "CONTROL"),
                ClientStageStore.cohort("search", 4, "TREATMENT"));
        ClientStageStore store = store();
        double[] sums = new double[WIDTH];
        for (int e = 0; e < 3; e++) {
            for (String prefix : prefixes) {
                store.admit(prefix, "client-x", 100, sums).add(sync(e != 1, 100 + e), sums);
            }
            store.admit(prefixes.get(1), "client-y", 100, sums).add(sync(true, 200 + e), sums);
        }
        store.flushCache();

        assertThat(dictionary().values()).containsExactlyInAnyOrderElementsOf(prefixes);
        byte[] record = changelog.get(ClientStageStore.CLIENT + "client-x");
        assertThat(record[0]).as("names its cohorts by id").isZero();
        for (String prefix : prefixes) {
            assertThat(text(record)).doesNotContain(prefix);
        }
        ClientStageStore restarted = store();
        for (String prefix : prefixes) {
            assertThat(figures(restarted.tracked(prefix + "client-x")))
                    .isEqualTo(figures(store.tracked(prefix + "client-x")));
            assertThat(restarted.trackedClients(prefix)).isEqualTo(store.trackedClients(prefix));
        }
        assertThat(figures(restarted.tracked(prefixes.get(1) + "client-y")))
                .isEqualTo(figures(store.tracked(prefixes.get(1) + "client-y")));
        assertThat(restarted.tracked(prefixes.get(0) + "client-x"))
                .as("alike states read back as one")
                .isSameAs(restarted.tracked(prefixes.get(2) + "client-x"));
    }

    @Test
    void aRecordThatNamesItsCohortsByPrefixIsReadBackAndRewrittenWithIdsAtTheNextCommit() {
        String other = ClientStageStore.cohort("search", 3, "CONTROL");
        String third = ClientStageStore.cohort("search", 3, "TREATMENT");
        ClientStage alike = stateOf(sync(true, 10), sync(false, 11));
        ClientStage different = stateOf(sync(true, 12));
        changelog.put(
                ClientStageStore.CLIENT + "client-a",
                recordNamingCohortsByPrefix(List.of(COHORT, other, third), List.of(alike, alike, different)));
        changelog.put(
                ClientStageStore.SAMPLE + COHORT,
                ByteBuffer.allocate(4).putInt(1).array());

        ClientStageStore store = store();
        assertThat(store.level(COHORT)).isEqualTo(1);
        assertThat(store.trackedClients(other)).isEqualTo(1);
        assertThat(figures(store.tracked(COHORT + "client-a"))).isEqualTo(figures(alike));
        assertThat(figures(store.tracked(other + "client-a"))).isEqualTo(figures(alike));
        assertThat(figures(store.tracked(third + "client-a"))).isEqualTo(figures(different));
        assertThat(store.tracked(COHORT + "client-a")).isSameAs(store.tracked(other + "client-a"));
        store.flushCache();

        // Rewritten with ids, without an event of the client.
        byte[] record = changelog.get(ClientStageStore.CLIENT + "client-a");
        assertThat(record[0]).isZero();
        assertThat(text(record)).doesNotContain("search");
        assertThat(dictionary().values()).containsExactlyInAnyOrder(COHORT, other, third);
        ClientStageStore restarted = store();
        assertThat(restarted.level(COHORT)).isEqualTo(1);
        assertThat(figures(restarted.tracked(COHORT + "client-a"))).isEqualTo(figures(alike));
        assertThat(figures(restarted.tracked(other + "client-a"))).isEqualTo(figures(alike));
        assertThat(figures(restarted.tracked(third + "client-a"))).isEqualTo(figures(different));

        // The client read from the record naming its cohorts by prefix is listed by its level in each.
        assertThat(store.listedClients(other)).isEqualTo(1);
        assertRiseFindsEveryClient(store, COHORT, List.of("client-a"));
        assertRiseFindsEveryClient(store, third, List.of("client-a"));
    }

    @Test
    void aDroppedCohortsIdLeavesTheDictionaryAndNoIdIsGivenTwice() {
        String ended = ClientStageStore.cohort("ended", 1, "TREATMENT");
        String kept = ClientStageStore.cohort("kept", 1, "TREATMENT");
        ClientStageStore store = store();
        double[] sums = new double[WIDTH];
        for (String client : List.of("client-a", "client-b")) {
            store.admit(ended, client, 100, sums).add(sync(true, 1), sums);
            store.admit(kept, client, 100, sums).add(sync(true, 1), sums);
        }
        store.flushCache();
        Integer endedId = idOf(ended);
        Integer keptId = idOf(kept);
        assertThat(endedId).isNotNull().isNotEqualTo(keptId);

        store.sweep(key -> ClientStageStore.flagKey(key).equals("ended"), (key, state) -> false);
        store.flushCache();
        assertThat(changelog.get(ClientStageStore.COHORT_ID + endedId)).isNull();
        assertThat(dictionary()).containsOnlyKeys(keptId);

        // A new cohort, and the dropped one met again (a late event), get ids of their own.
        String later = ClientStageStore.cohort("later", 1, "CONTROL");
        store.admit(later, "client-a", 100, sums).add(sync(true, 2), sums);
        store.admit(ended, "client-c", 100, sums).add(sync(false, 3), sums);
        store.flushCache();
        assertThat(dictionary()).hasSize(3).containsEntry(keptId, kept);
        assertThat(idOf(later)).isNotIn(keptId, endedId);
        assertThat(idOf(ended)).isNotIn(keptId, endedId, idOf(later));
        ClientStageStore restarted = store();
        assertThat(restarted.tracked(later + "client-a").lastSeen()).isEqualTo(2);
        assertThat(restarted.tracked(kept + "client-a").lastSeen()).isEqualTo(1);
        assertThat(restarted.tracked(ended + "client-c").lastSeen()).isEqualTo(3);
        assertThat(restarted.tracked(ended + "client-a")).isNull();
        assertThat(restarted.trackedClients(ended)).isEqualTo(1);
    }

    @Test
    void cohortsNewAfterARestoreGetIdsApartFromThoseReadBack() {
        List<String> before = new ArrayList<>();
        for (int f = 0; f < 3; f++) {
            before.add(ClientStageStore.cohort("flag-" + f, 1, "TREATMENT"));
        }
        ClientStageStore store = store();
        double[] sums = new double[WIDTH];
        for (String prefix : before) {
            store.admit(prefix, "client-a", 100, sums).add(sync(true, 1), sums);
        }
        store.flushCache();
        Map<Integer, String> restoredIds = dictionary();

        ClientStageStore restarted = store();
        String after = ClientStageStore.cohort("flag-9", 2, "CONTROL");
        restarted.admit(after, "client-b", 100, sums).add(sync(true, 2), sums);
        restarted.admit(after, "client-a", 100, sums).add(sync(false, 3), sums);
        restarted.flushCache();
        assertThat(dictionary()).hasSize(4).containsAllEntriesOf(restoredIds);
        assertThat(idOf(after)).isNotIn(restoredIds.keySet());

        ClientStageStore again = store();
        for (String prefix : before) {
            assertThat(again.tracked(prefix + "client-a").lastSeen()).isEqualTo(1);
        }
        assertThat(again.tracked(after + "client-a").lastSeen()).isEqualTo(3);
        assertThat(again.tracked(after + "client-b").lastSeen()).isEqualTo(2);
        assertThat(again.trackedClients(after)).isEqualTo(2);
    }

    /** The benchmark's shape: 20 flags under rollout (stage 1, treatment or control), a client with a few events. */
    @Test
    void theRecordOfAClientInTwentyCohortsHoldsNoPrefixAndIsAFractionOfOneThatDid() {
        List<String> prefixes = new ArrayList<>();
        for (int f = 0; f < 20; f++) {
            prefixes.add(ClientStageStore.cohort("flag-" + (100 + f), 1, f % 3 == 0 ? "CONTROL" : "TREATMENT"));
        }
        ClientStageStore store = store();
        double[] sums = new double[WIDTH];
        for (int e = 0; e < 3; e++) {
            for (String prefix : prefixes) {
                store.admit(prefix, "client-000042", 100, sums).add(sync(e != 1, 1_000 + e), sums);
            }
        }
        store.flushCache();
        byte[] record = changelog.get(ClientStageStore.CLIENT + "client-000042");
        List<ClientStage> states = new ArrayList<>();
        prefixes.forEach(prefix -> states.add(store.tracked(prefix + "client-000042")));
        byte[] byPrefix = recordNamingCohortsByPrefix(prefixes, states);
        for (String prefix : prefixes) {
            assertThat(text(record)).doesNotContain(prefix);
        }
        // One state, then two bytes a cohort (its id, a reference to the state).
        assertThat(record.length).isLessThan(byPrefix.length / 4).isLessThanOrEqualTo(3 + 2 * 20 + 1 + 60);
    }
}
