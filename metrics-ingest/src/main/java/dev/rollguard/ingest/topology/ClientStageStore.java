package dev.rollguard.ingest.topology;

import dev.rollguard.ingest.domain.ClientSampling;
import dev.rollguard.ingest.domain.ClientStage;
import io.quarkus.logging.Log;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.BiPredicate;
import java.util.function.Predicate;
import org.apache.kafka.common.utils.ByteUtils;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;

/**
 * The guard's per-client state of one input task, kept live ({@link LiveStore}): for each tracked client, its state in
 * each cohort of a flag under rollout (cohort prefix {@code <flag>|<stage version>|<cohort>|}), the client's
 * cumulative numerators and denominators since the stage began ({@link ClientStage}). The telemetry topics are keyed
 * by client id, so all of a client's events reach the same task and its state lives in one place.
 *
 * <p>One record a client (key {@code #<client id>}), holding all its cohorts: an event of a client exposed to twenty
 * flags under rollout changes twenty states, and this way one changelog record carries them all instead of twenty.
 * Within the record a state equal to one before it is written as a reference to it: a client's events reach every
 * cohort it is in, so its states are usually alike.
 *
 * <p>Bounded per cohort: a cohort tracks at most {@code cap} clients. Its clients are sampled by a hash of their id
 * ({@link ClientSampling}) at the cohort's level, 0 (every client) until the cap is passed; then the level rises (the
 * hash threshold halves) until the cohort is back within the cap, and each client no longer tracked is dropped with
 * its contribution retracted from the window's client-level sums ({@link ClientStage#retract}), so that the sums of
 * the stage are exactly those of the tracked clients. A cohort's level is changelogged under the reserved key {@code
 * ~sample|<flag>|<stage version>|<cohort>|}, so a restarted task samples the same clients.
 *
 * <p>Earlier versions kept one record per client and cohort (key {@code <cohort prefix><client id>}); such records are
 * read back into the client's record and deleted at the next commit.
 */
final class ClientStageStore extends LiveStore<ClientStageStore.Client> {

    static final String STORE = "client-stages";
    /** Key prefix of a cohort's sampling level. */
    static final String SAMPLE = "~sample|";
    /** Key prefix of a client's record: no flag key (the first part of the cohort prefix) starts with it. */
    static final String CLIENT = "#";

    /** The cohorts with tracked clients or a level above 0, by cohort prefix {@code <flag>|<stage>|<cohort>|}. */
    private final Map<String, Cohort> cohorts = new HashMap<>();
    /** Cohort prefixes whose level changed since the last commit. */
    private final Set<String> levelsChanged = new HashSet<>();
    /** Cohort prefixes whose level the changelog holds. */
    private final Set<String> levelsPersisted = new HashSet<>();

    ClientStageStore(KeyValueStore<String, byte[]> changelogged) {
        super(changelogged);
    }

    static StoreBuilder<ClientStageStore> builder() {
        return LiveStore.builder(STORE, ClientStageStore::new);
    }

    /** The key prefix of a cohort: {@code <flag>|<stage version>|<cohort>|}. */
    static String cohort(String flagKey, long stageVersion, String cohort) {
        return flagKey + "|" + stageVersion + "|" + cohort + "|";
    }

    /** The flag key of a cohort prefix (or a client state's name, cohort prefix and client id). */
    static String flagKey(String key) {
        return key.substring(0, key.indexOf('|'));
    }

    /** The stage version of a cohort prefix (or a client state's name). */
    static long stageVersion(String key) {
        int first = key.indexOf('|');
        return Long.parseLong(key.substring(first + 1, key.indexOf('|', first + 1)));
    }

    /** The cohort prefix of a client state's name: up to and including its third {@code |}. */
    static String cohortOf(String key) {
        int bar = key.indexOf('|');
        bar = key.indexOf('|', bar + 1);
        bar = key.indexOf('|', bar + 1);
        return key.substring(0, bar + 1);
    }

    /**
     * The state of a client of a cohort when the client is tracked, created empty when new; null when the cohort's
     * sample leaves it out. A new client that takes the cohort past {@code cap} raises the cohort's level: the
     * clients left out at the new level are dropped and their contributions retracted from {@code sums} (the
     * cohort's stage in the partial window of the event at hand). The caller updates a returned state in place, before
     * the next commit writes it.
     */
    ClientStage admit(String cohortPrefix, String clientId, int cap, double[] sums) {
        String key = CLIENT + clientId;
        Client client = get(key);
        if (client != null) {
            ClientStage stage = client.stage(cohortPrefix);
            if (stage != null) {
                touch(key);
                return stage;
            }
        }
        Cohort cohort = cohorts.computeIfAbsent(cohortPrefix, Cohort::new);
        long hash = ClientSampling.hash(clientId);
        if (!ClientSampling.tracked(hash, cohort.level)) {
            return null;
        }
        if (client == null) {
            client = new Client();
            put(key, client);
        } else {
            touch(key);
        }
        ClientStage stage = new ClientStage();
        // The cohort's own copy of the prefix: one string per cohort, not one per client.
        client.add(cohort.prefix, stage);
        cohort.tracked++;
        while (cohort.tracked > cap && cohort.level < ClientSampling.MAX_LEVEL) {
            cohort.level++;
            levelsChanged.add(cohortPrefix);
            TopologyMetrics.sampleLevelRaised(flagKey(cohortPrefix));
            Log.infof(
                    "Cohort %s passed %d tracked clients in this input task: it now tracks a hash sample of 1/%d of its"
                            + " clients (guard.max-clients-per-cohort)",
                    cohortPrefix, cap, 1L << cohort.level);
            int level = cohort.level;
            removeStates((id, prefix, state) -> {
                if (!prefix.equals(cohortPrefix) || ClientSampling.tracked(id, level)) {
                    return false;
                }
                state.retract(sums);
                return true;
            });
        }
        return ClientSampling.tracked(hash, cohort.level) ? stage : null;
    }

    /** The state of a tracked client by its name (cohort prefix and client id), or null (tests). */
    ClientStage tracked(String name) {
        String prefix = cohortOf(name);
        Client client = get(CLIENT + name.substring(prefix.length()));
        return client == null ? null : client.stage(prefix);
    }

    /** The sampling level of a cohort: its clients are tracked when {@link ClientSampling#tracked} at it. */
    int level(String cohortPrefix) {
        load();
        Cohort cohort = cohorts.get(cohortPrefix);
        return cohort == null ? 0 : cohort.level;
    }

    /** How many clients a cohort tracks. */
    int trackedClients(String cohortPrefix) {
        load();
        Cohort cohort = cohorts.get(cohortPrefix);
        return cohort == null ? 0 : cohort.tracked;
    }

    /**
     * Drops the states of the cohorts whose stage {@code ended} selects (and their sampling levels), and the states
     * that {@code expired} selects; both see a state by its name, cohort prefix and client id. An expired client's
     * contribution stays in the sums (it was a tracked client of the stage); its cohort keeps its level, so the
     * clients that come later are sampled as before.
     */
    int sweep(Predicate<String> ended, BiPredicate<String, ClientStage> expired) {
        Map<String, Boolean> endedCohorts = new HashMap<>();
        int removed = removeStates((id, prefix, state) ->
                endedCohorts.computeIfAbsent(prefix, ended::test) || expired.test(prefix + id, state));
        cohorts.entrySet().removeIf(e -> {
            boolean drop = ended.test(e.getKey());
            if (drop) {
                levelsChanged.add(e.getKey());
            }
            return drop;
        });
        return removed;
    }

    /** What {@link #removeStates} asks of each state: its client id, its cohort prefix and the state. */
    private interface StateFilter {
        boolean remove(String clientId, String cohortPrefix, ClientStage state);
    }

    /** Removes the states that {@code filter} selects, and the clients left without one; returns how many states. */
    private int removeStates(StateFilter filter) {
        int[] removed = {0};
        removeIf((key, client) -> {
            String id = key.substring(CLIENT.length());
            int before = client.size;
            client.removeIf((prefix, state) -> {
                if (!filter.remove(id, prefix, state)) {
                    return false;
                }
                Cohort cohort = cohorts.get(prefix);
                if (cohort != null) {
                    cohort.tracked--;
                }
                return true;
            });
            removed[0] += before - client.size;
            if (client.size == 0) {
                return true;
            }
            if (client.size != before) {
                touch(key);
            }
            return false;
        });
        return removed[0];
    }

    @Override
    protected void loaded(String key, Client value) {
        for (int i = 0; i < value.size; i++) {
            Cohort cohort = cohorts.computeIfAbsent(value.prefixes[i], Cohort::new);
            cohort.tracked++;
            value.prefixes[i] = cohort.prefix;
        }
    }

    @Override
    protected boolean earlierVersion(String key) {
        return !key.startsWith(CLIENT);
    }

    @Override
    protected void readEarlierVersion(String key, byte[] value) {
        String prefix = cohortOf(key);
        String clientKey = CLIENT + key.substring(prefix.length());
        Client client = adopted(clientKey);
        if (client == null) {
            client = new Client();
            adopt(clientKey, client);
        }
        Cohort cohort = cohorts.computeIfAbsent(prefix, Cohort::new);
        cohort.tracked++;
        client.add(cohort.prefix, ClientStage.fromBytes(value));
    }

    @Override
    protected void readOwn(String key, byte[] value) {
        if (key.startsWith(SAMPLE)) {
            String prefix = key.substring(SAMPLE.length());
            cohorts.computeIfAbsent(prefix, Cohort::new).level =
                    ByteBuffer.wrap(value).getInt();
            levelsPersisted.add(prefix);
        }
    }

    @Override
    protected void writeOwn(KeyValueStore<String, byte[]> changelog) {
        for (String prefix : levelsChanged) {
            Cohort cohort = cohorts.get(prefix);
            if (cohort != null && cohort.level > 0) {
                changelog.put(
                        SAMPLE + prefix,
                        ByteBuffer.allocate(4).putInt(cohort.level).array());
                levelsPersisted.add(prefix);
            } else if (levelsPersisted.remove(prefix)) {
                changelog.delete(SAMPLE + prefix);
            }
        }
        levelsChanged.clear();
    }

    @Override
    protected void resetOwn() {
        cohorts.clear();
        levelsChanged.clear();
        levelsPersisted.clear();
    }

    @Override
    protected Client decode(byte[] data) {
        return Client.fromBytes(data);
    }

    @Override
    protected byte[] encode(Client value) {
        return value.toBytes();
    }

    /** A cohort's prefix, sampling level and how many clients it tracks. */
    private static final class Cohort {
        final String prefix;
        int level;
        int tracked;

        Cohort(String prefix) {
            this.prefix = prefix;
        }
    }

    /** A client's states, one per cohort it is tracked in (a handful: one per flag under rollout it is exposed to). */
    static final class Client {
        private String[] prefixes = new String[4];
        private ClientStage[] stages = new ClientStage[4];
        private int size;

        ClientStage stage(String cohortPrefix) {
            for (int i = 0; i < size; i++) {
                if (prefixes[i].equals(cohortPrefix)) {
                    return stages[i];
                }
            }
            return null;
        }

        void add(String cohortPrefix, ClientStage stage) {
            if (size == prefixes.length) {
                prefixes = Arrays.copyOf(prefixes, size * 2);
                stages = Arrays.copyOf(stages, size * 2);
            }
            prefixes[size] = cohortPrefix;
            stages[size] = stage;
            size++;
        }

        /** Removes the states that {@code remove} selects (asked once each), keeping the others in order. */
        void removeIf(BiPredicate<String, ClientStage> remove) {
            int kept = 0;
            for (int i = 0; i < size; i++) {
                if (!remove.test(prefixes[i], stages[i])) {
                    prefixes[kept] = prefixes[i];
                    stages[kept] = stages[i];
                    kept++;
                }
            }
            Arrays.fill(prefixes, kept, size, null);
            Arrays.fill(stages, kept, size, null);
            size = kept;
        }

        /**
         * How many states; then each as its cohort prefix (UTF-8, length first) and either 0 and the encoded state
         * ({@link ClientStage#toBytes}, length first) or {@code k} when the state encodes as the {@code k}-th distinct
         * state before it.
         */
        byte[] toBytes() {
            byte[][] prefixBytes = new byte[size][];
            byte[][] encoded = new byte[size][];
            int[] sameAs = new int[size];
            int length = 5;
            int distinct = 0;
            int[] distinctIndex = new int[size];
            for (int i = 0; i < size; i++) {
                prefixBytes[i] = prefixes[i].getBytes(StandardCharsets.UTF_8);
                length += 5 + prefixBytes[i].length + 5;
                encoded[i] = stages[i].toBytes();
                for (int d = 0; d < distinct; d++) {
                    if (Arrays.equals(encoded[distinctIndex[d]], encoded[i])) {
                        sameAs[i] = d + 1;
                        break;
                    }
                }
                if (sameAs[i] == 0) {
                    distinctIndex[distinct++] = i;
                    length += 5 + encoded[i].length;
                }
            }
            ByteBuffer out = ByteBuffer.allocate(length);
            ByteUtils.writeUnsignedVarint(size, out);
            for (int i = 0; i < size; i++) {
                ByteUtils.writeUnsignedVarint(prefixBytes[i].length, out);
                out.put(prefixBytes[i]);
                ByteUtils.writeUnsignedVarint(sameAs[i], out);
                if (sameAs[i] == 0) {
                    ByteUtils.writeUnsignedVarint(encoded[i].length, out);
                    out.put(encoded[i]);
                }
            }
            return Arrays.copyOf(out.array(), out.position());
        }

        static Client fromBytes(byte[] data) {
            ByteBuffer in = ByteBuffer.wrap(data);
            Client client = new Client();
            int n = ByteUtils.readUnsignedVarint(in);
            byte[][] distinct = new byte[n][];
            int distinctCount = 0;
            for (int i = 0; i < n; i++) {
                byte[] prefix = new byte[ByteUtils.readUnsignedVarint(in)];
                in.get(prefix);
                int sameAs = ByteUtils.readUnsignedVarint(in);
                byte[] encoded;
                if (sameAs == 0) {
                    encoded = new byte[ByteUtils.readUnsignedVarint(in)];
                    in.get(encoded);
                    distinct[distinctCount++] = encoded;
                } else {
                    encoded = distinct[sameAs - 1];
                }
                client.add(new String(prefix, StandardCharsets.UTF_8), ClientStage.fromBytes(encoded));
            }
            return client;
        }
    }
}
