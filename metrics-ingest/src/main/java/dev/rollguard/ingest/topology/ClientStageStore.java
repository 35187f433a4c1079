package dev.rollguard.ingest.topology;

import dev.rollguard.ingest.domain.ClientMoments;
import dev.rollguard.ingest.domain.ClientSampling;
import dev.rollguard.ingest.domain.ClientStage;
import dev.rollguard.ingest.domain.Observation;
import dev.rollguard.schemas.guard.GuardMetrics;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiPredicate;
import java.util.function.Function;
import java.util.function.IntFunction;
import java.util.function.Predicate;
import org.apache.kafka.common.utils.ByteUtils;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.jboss.logging.Logger;

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
 * <p>A record names each cohort by a small id, not by its prefix (which a client in twenty cohorts would repeat twenty
 * times at each commit after its event). The ids are this store's own: a cohort gets the next one when a record naming
 * it is first written, and keeps it until its stage ends and the cohort is dropped. The dictionary is changelogged under
 * the reserved keys {@code ~cohort|<id>} (value: the cohort prefix, UTF-8), written at the commit that first writes the
 * id and deleted at the commit that drops the cohort, by then held by no client. An id is never given twice while the
 * store lives (the next one is 1 + the largest given or read back), so a cohort dropped and met again gets a new one;
 * after a restore an id whose entry was deleted may come back, as no record names it any more.
 *
 * <p>Bounded per cohort: a cohort tracks at most {@code cap} clients. Its clients are sampled by a hash of their id
 * ({@link ClientSampling}) at the cohort's level, 0 (every client) until the cap is passed; then the level rises (the
 * hash threshold halves) until the cohort is back within the cap, and each client no longer tracked is dropped with
 * its contribution retracted from the window's client-level sums ({@link ClientStage#retract}), so that the sums of
 * the stage are exactly those of the tracked clients. A cohort lists its tracked clients by the highest level each is
 * tracked at, so that a rise looks only at the clients it drops, not at every client of the task. A cohort's level is
 * changelogged under the reserved key {@code ~sample|<flag>|<stage version>|<cohort>|}, so a restarted task samples
 * the same clients.
 *
 * <p>Earlier versions kept one record per client and cohort (key {@code <cohort prefix><client id>}); such records are
 * read back into the client's record and deleted at the next commit. Later ones named the cohorts of a client's record
 * by their prefixes ({@link Client#fromBytes}); such records are read back and rewritten with ids at the next commit.
 */
final class ClientStageStore extends LiveStore<ClientStageStore.Client> {

    // Not io.quarkus.logging.Log: this runs outside Quarkus too (architecture-tests' StreamThreadLoggingTest).
    private static final Logger LOG = Logger.getLogger(ClientStageStore.class);

    static final String STORE = "client-stages";
    /** Key prefix of a cohort's sampling level. */
    static final String SAMPLE = "~sample|";
    /** Key prefix of a cohort's id, {@code ~cohort|<id>}: its value is the cohort prefix. */
    static final String COHORT_ID = "~cohort|";
    /** Key prefix of a client's record: no flag key (the first part of the cohort prefix) starts with it. */
    static final String CLIENT = "#";

    /** The cohorts with tracked clients or a level above 0, by cohort prefix {@code <flag>|<stage>|<cohort>|}. */
    private final Map<String, Cohort> cohorts = new HashMap<>();
    /** Cohort prefixes whose level changed since the last commit. */
    private final Set<String> levelsChanged = new HashSet<>();
    /** Cohort prefixes whose level the changelog holds. */
    private final Set<String> levelsPersisted = new HashSet<>();
    /** The cohorts with an id, by id: a client record names its cohorts by their ids. */
    private final Map<Integer, Cohort> byId = new HashMap<>();
    /** Cohorts given an id since the last commit: the next commit writes their dictionary entries. */
    private final List<Cohort> named = new ArrayList<>();
    /**
     * Ids of cohorts dropped since the last commit, whose entries the changelog holds (the commit that gives an id
     * writes it): the next commit deletes them.
     */
    private final List<Integer> unnamed = new ArrayList<>();
    /** The id of the next cohort named: above every id given or read back, so none is given twice. */
    private int nextId;

    /**
     * The client of the latest {@link #admit}: an event admits its client to each of its cohorts in turn (twenty for
     * twenty flags under rollout), so the client's record is looked up once per event, not once per cohort. Forgotten
     * whenever records are removed or read back.
     */
    private String lastId;

    private String lastKey;
    private Client lastClient;
    /** The sampling hash of {@link #lastId}, once a cohort new to the client needed it. */
    private long lastHash;

    private boolean lastHashed;
    /** The store's epoch when {@link #lastKey} was last marked changed: once per event, not once per cohort. */
    private long lastTouched = Long.MIN_VALUE;
    /** What an event adds to the sums of one of a client's states, before it is added to each cohort holding it. */
    private final double[] moved = new double[GuardMetrics.COUNT * ClientMoments.WIDTH];

    private ClientStage[] eventStates = new ClientStage[8];
    /** Reused while encoding a record at each commit (one stream thread per task). */
    private ByteBuffer encoding = ByteBuffer.allocate(1024);

    private final ByteBuffer scratch = ByteBuffer.allocate(ClientStage.MAX_ENCODED_LENGTH);

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
     * the next commit writes it: the state is the cohort's own (a state shared with other cohorts is copied first).
     */
    ClientStage admit(String cohortPrefix, String clientId, int cap, double[] sums) {
        ClientStage stage = held(cohortPrefix, clientId);
        if (stage == null) {
            return admitNew(cohortPrefix, clientId, cap, sums, new ClientStage());
        }
        if (lastClient.references(stage) > 1) {
            stage = stage.copy();
            lastClient.replace(cohortPrefix, stage);
        }
        return stage;
    }

    /**
     * Counts one event of a client in each of its cohorts under rollout, {@code prefixes[k]} with the client-level
     * sums {@code sums[k]} ({@code k < n}), admitting the client where it is new as {@link #admit} does. {@code
     * tracked[k]} tells whether the client is tracked in cohort {@code k} (false: the cohort's sample leaves it out).
     *
     * <p>A client's states in the cohorts it entered together are alike, and one event moves them alike: such states
     * are one object, updated once per event, and what the update adds to the sums is added to the sums of each of
     * them. A state shared with a cohort the event does not reach is copied first, so no cohort sees another's events.
     * The sums are those of counting the event in each cohort on its own, bit for bit (each part of the sums gets one
     * addition per event either way).
     */
    void count(
            String clientId, String[] prefixes, double[][] sums, int n, Observation event, int cap, boolean[] tracked) {
        if (sampledOutOfAll(clientId, prefixes, n)) {
            Arrays.fill(tracked, 0, n, false);
            return;
        }
        ClientStage fresh = null;
        ClientStage[] states = eventStates(n);
        for (int k = 0; k < n; k++) {
            ClientStage stage = held(prefixes[k], clientId);
            if (stage == null) {
                // The cohorts new to the client start from one empty state: the event moves them alike.
                if (fresh == null) {
                    fresh = new ClientStage();
                }
                stage = admitNew(prefixes[k], clientId, cap, sums[k], fresh);
            }
            states[k] = stage;
            tracked[k] = stage != null;
        }
        Client client = client(clientId);
        for (int k = 0; k < n; k++) {
            ClientStage stage = states[k];
            if (stage == null) {
                continue;
            }
            int alike = 0;
            for (int j = k; j < n; j++) {
                if (states[j] == stage) {
                    alike++;
                }
            }
            if (client.references(stage) > alike) {
                ClientStage own = stage.copy();
                for (int j = k; j < n; j++) {
                    if (states[j] == stage) {
                        client.replace(prefixes[j], own);
                        states[j] = own;
                    }
                }
                stage = own;
            }
            if (alike == 1) {
                stage.add(event, sums[k]);
                states[k] = null;
                continue;
            }
            stage.add(event, moved);
            for (int j = k; j < n; j++) {
                if (states[j] == stage) {
                    double[] to = sums[j];
                    for (int i = 0; i < moved.length; i++) {
                        to[i] += moved[i];
                    }
                    states[j] = null;
                }
            }
            Arrays.fill(moved, 0);
        }
    }

    /**
     * Whether every one of the event's cohorts has raised its level past the client ({@link ClientSampling}): then
     * the client holds no state in any of them (a rise drops the clients it leaves out) and none admits it, so the
     * event needs no look-up of its client. Once the cohorts a task sees most are sampled, that is most events of
     * the clients they leave out. The hash is taken only when no cohort of the event tracks every client.
     */
    private boolean sampledOutOfAll(String clientId, String[] prefixes, int n) {
        for (int k = 0; k < n; k++) {
            Cohort cohort = cohorts.get(prefixes[k]);
            if (cohort == null || cohort.level == 0) {
                return false;
            }
        }
        long hash = clientId.equals(lastId) && lastHashed ? lastHash : ClientSampling.hash(clientId);
        for (int k = 0; k < n; k++) {
            if (ClientSampling.tracked(hash, cohorts.get(prefixes[k]).level)) {
                return false;
            }
        }
        return true;
    }

    /** The states of the event at hand, reused from event to event. */
    private ClientStage[] eventStates(int n) {
        if (eventStates.length < n) {
            eventStates = new ClientStage[Math.max(n, 2 * eventStates.length)];
        }
        return eventStates;
    }

    /** The record of a client, or null; looked up once for the consecutive calls about one client. */
    private Client client(String clientId) {
        if (!clientId.equals(lastId)) {
            lastKey = CLIENT + clientId;
            lastClient = get(lastKey);
            lastHashed = false;
            lastTouched = Long.MIN_VALUE;
            lastId = clientId;
        }
        return lastClient;
    }

    /** The state a client holds in a cohort, marked to be written at the next commit; null when it holds none. */
    private ClientStage held(String cohortPrefix, String clientId) {
        Client client = client(clientId);
        if (client == null) {
            return null;
        }
        ClientStage stage = client.stage(cohortPrefix);
        if (stage != null && lastTouched != epoch()) {
            touch(lastKey);
            lastTouched = epoch();
        }
        return stage;
    }

    /** Admits a client to a cohort it holds no state in, with {@code stage}; see {@link #admit}. */
    private ClientStage admitNew(String cohortPrefix, String clientId, int cap, double[] sums, ClientStage stage) {
        Client client = client(clientId);
        String key = lastKey;
        Cohort cohort = cohorts.computeIfAbsent(cohortPrefix, Cohort::new);
        if (!lastHashed) {
            lastHash = ClientSampling.hash(clientId);
            lastHashed = true;
        }
        long hash = lastHash;
        if (!ClientSampling.tracked(hash, cohort.level)) {
            return null;
        }
        if (client == null) {
            client = new Client(key);
            put(key, client);
            lastClient = client;
        } else {
            touch(key);
        }
        client.add(cohort, stage);
        cohort.tracked++;
        cohort.index(client, hash);
        while (cohort.tracked > cap && cohort.level < ClientSampling.MAX_LEVEL) {
            List<Client> leaving = cohort.leaving(cohort.level);
            cohort.level++;
            levelsChanged.add(cohortPrefix);
            TopologyMetrics.sampleLevelRaised(flagKey(cohortPrefix));
            LOG.infof(
                    "Cohort %s passed %d tracked clients in this input task: it now tracks a hash sample of 1/%d of its"
                            + " clients (guard.max-clients-per-cohort)",
                    cohortPrefix, cap, 1L << cohort.level);
            drop(cohort, leaving, sums);
        }
        return ClientSampling.tracked(hash, cohort.level) ? stage : null;
    }

    /**
     * Drops the states in {@code cohort} of the clients its rise leaves out, retracting each from {@code sums}: only
     * those clients are looked at, not every client of the task.
     */
    private void drop(Cohort cohort, List<Client> leaving, double[] sums) {
        forgetLastClient();
        for (Client client : leaving) {
            ClientStage state = client.remove(cohort);
            if (state == null) {
                // Defensive: a state leaves its cohort otherwise only in a sweep, which prunes the lists.
                continue;
            }
            state.retract(sums);
            cohort.tracked--;
            if (client.size > 0) {
                touch(client.key);
            } else if (get(client.key) == client) {
                remove(client.key);
            }
        }
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

    /** How many clients a cohort lists by their highest sampling level: those it tracks (tests). */
    int listedClients(String cohortPrefix) {
        load();
        Cohort cohort = cohorts.get(cohortPrefix);
        return cohort == null ? 0 : cohort.listed();
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
        // Judged by the answers that removed the states, so that no client holds a cohort dropped (or names its id).
        cohorts.values().removeIf(cohort -> {
            if (!endedCohorts.computeIfAbsent(cohort.prefix, ended::test)) {
                return false;
            }
            levelsChanged.add(cohort.prefix);
            if (cohort.id >= 0) {
                byId.remove(cohort.id);
                unnamed.add(cohort.id);
            }
            return true;
        });
        if (removed > 0) {
            cohorts.values().forEach(Cohort::prune);
        }
        return removed;
    }

    /** What {@link #removeStates} asks of each state: its client id, its cohort prefix and the state. */
    private interface StateFilter {
        boolean remove(String clientId, String cohortPrefix, ClientStage state);
    }

    /** Removes the states that {@code filter} selects, and the clients left without one; returns how many states. */
    private int removeStates(StateFilter filter) {
        forgetLastClient();
        int[] removed = {0};
        removeIf((key, client) -> {
            String id = key.substring(CLIENT.length());
            int before = client.size;
            client.removeIf((cohort, state) -> {
                if (!filter.remove(id, cohort.prefix, state)) {
                    return false;
                }
                if (cohorts.get(cohort.prefix) == cohort) {
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
        value.key = key;
        long hash = ClientSampling.hash(key.substring(CLIENT.length()));
        for (int i = 0; i < value.size; i++) {
            value.cohorts[i].tracked++;
            value.cohorts[i].index(value, hash);
        }
    }

    private void forgetLastClient() {
        lastId = null;
        lastKey = null;
        lastClient = null;
    }

    @Override
    protected boolean earlierVersion(String key) {
        return !key.startsWith(CLIENT);
    }

    @Override
    protected void readEarlierVersion(String key, byte[] value) {
        String prefix = cohortOf(key);
        String clientId = key.substring(prefix.length());
        String clientKey = CLIENT + clientId;
        Client client = adopted(clientKey);
        if (client == null) {
            client = new Client(clientKey);
            adopt(clientKey, client);
        }
        Cohort cohort = cohorts.computeIfAbsent(prefix, Cohort::new);
        cohort.tracked++;
        client.add(cohort, ClientStage.fromBytes(value));
        cohort.index(client, ClientSampling.hash(clientId));
    }

    @Override
    protected void readOwn(String key, byte[] value) {
        if (key.startsWith(SAMPLE)) {
            String prefix = key.substring(SAMPLE.length());
            cohorts.computeIfAbsent(prefix, Cohort::new).level =
                    ByteBuffer.wrap(value).getInt();
            levelsPersisted.add(prefix);
        } else if (key.startsWith(COHORT_ID)) {
            int id = Integer.parseInt(key, COHORT_ID.length(), key.length(), 10);
            Cohort cohort = cohorts.computeIfAbsent(new String(value, StandardCharsets.UTF_8), Cohort::new);
            cohort.id = id;
            byId.put(id, cohort);
            nextId = Math.max(nextId, id + 1);
        }
    }

    @Override
    protected void writeOwn(OwnKeys changelog) {
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
        for (Cohort cohort : named) {
            changelog.put(COHORT_ID + cohort.id, cohort.prefix.getBytes(StandardCharsets.UTF_8));
        }
        named.clear();
        for (int id : unnamed) {
            changelog.delete(COHORT_ID + id);
        }
        unnamed.clear();
    }

    @Override
    protected void resetOwn() {
        forgetLastClient();
        cohorts.clear();
        levelsChanged.clear();
        levelsPersisted.clear();
        byId.clear();
        named.clear();
        unnamed.clear();
        nextId = 0;
    }

    @Override
    protected boolean outdated(byte[] data) {
        return Client.namesByPrefix(data);
    }

    @Override
    protected Client decode(byte[] data) {
        return Client.fromBytes(data, this::cohortWithId, prefix -> cohorts.computeIfAbsent(prefix, Cohort::new));
    }

    /** The cohort of an id that a record names: its dictionary entry was read back before the records. */
    private Cohort cohortWithId(int id) {
        Cohort cohort = byId.get(id);
        if (cohort == null) {
            throw new IllegalStateException(
                    "A client record names cohort id " + id + ", but " + name() + " holds no " + COHORT_ID + id);
        }
        return cohort;
    }

    @Override
    protected byte[] encode(Client value) {
        // The first record naming a cohort gives it its id, written to the dictionary in the same commit (writeOwn).
        for (int i = 0; i < value.size; i++) {
            Cohort cohort = value.cohorts[i];
            if (cohort.id < 0) {
                cohort.id = nextId++;
                byId.put(cohort.id, cohort);
                named.add(cohort);
            }
        }
        int most = Client.maxLength(value);
        if (encoding.capacity() < most) {
            encoding = ByteBuffer.allocate(Math.max(most, 2 * encoding.capacity()));
        }
        encoding.clear();
        value.writeTo(encoding, scratch);
        return Arrays.copyOf(encoding.array(), encoding.position());
    }

    /** A cohort's prefix, id (-1 until a record naming it is written), sampling level and tracked clients. */
    private static final class Cohort {
        final String prefix;
        int id = -1;
        int level;
        int tracked;
        /**
         * The tracked clients by the highest level each is tracked at ({@link ClientSampling#highestLevel}; none
         * below the cohort's level): a rise from level L drops exactly the list of L. Every client listed holds a
         * state in the cohort: the sweep that expires states prunes the lists before it returns.
         */
        private final List<List<Client>> byHighestLevel = new ArrayList<>();

        Cohort(String prefix) {
            this.prefix = prefix;
        }

        /** Lists a client admitted to the cohort, of sampling hash {@code hash}. */
        void index(Client client, long hash) {
            int highest = ClientSampling.highestLevel(hash);
            while (byHighestLevel.size() <= highest) {
                byHighestLevel.add(null);
            }
            List<Client> clients = byHighestLevel.get(highest);
            if (clients == null) {
                clients = new ArrayList<>();
                byHighestLevel.set(highest, clients);
            }
            clients.add(client);
        }

        /**
         * The listed clients not tracked above {@code level}, taken off the lists: those whose highest level is {@code
         * level}, and any listed below it (none is, unless a changelog held a client the cohort's level had left).
         */
        List<Client> leaving(int level) {
            List<Client> leaving = new ArrayList<>();
            for (int at = 0; at <= level && at < byHighestLevel.size(); at++) {
                List<Client> clients = byHighestLevel.set(at, null);
                if (clients != null) {
                    leaving.addAll(clients);
                }
            }
            return leaving;
        }

        /** How many clients the lists hold. */
        int listed() {
            int listed = 0;
            for (List<Client> clients : byHighestLevel) {
                listed += clients == null ? 0 : clients.size();
            }
            return listed;
        }

        /** Unlists the clients that no longer hold a state in the cohort. */
        void prune() {
            for (List<Client> clients : byHighestLevel) {
                if (clients != null) {
                    clients.removeIf(client -> client.indexOf(this) < 0);
                }
            }
        }
    }

    /**
     * A client's states, one per cohort it is tracked in (a handful: one per flag under rollout it is exposed to). A
     * state is held with its cohort: one prefix string per cohort, not one per client.
     */
    static final class Client {
        /** Its key in the store, {@code #<client id>} (the store's own string, not a copy). */
        private String key;

        private Cohort[] cohorts = new Cohort[8];
        private ClientStage[] stages = new ClientStage[8];
        private int size;
        /** Where the next {@link #stage} look-up starts: an event visits a client's cohorts in the order it met them. */
        private int next;

        Client(String key) {
            this.key = key;
        }

        ClientStage stage(String cohortPrefix) {
            for (int n = 0, i = next; n < size; n++, i = i + 1 == size ? 0 : i + 1) {
                if (cohorts[i].prefix.equals(cohortPrefix)) {
                    next = i + 1 == size ? 0 : i + 1;
                    return stages[i];
                }
            }
            return null;
        }

        /** How many of the client's cohorts hold {@code stage} (the one object, shared by alike states). */
        int references(ClientStage stage) {
            int n = 0;
            for (int i = 0; i < size; i++) {
                if (stages[i] == stage) {
                    n++;
                }
            }
            return n;
        }

        /** Sets the state of a cohort the client holds one in. */
        void replace(String cohortPrefix, ClientStage stage) {
            for (int i = 0; i < size; i++) {
                if (cohorts[i].prefix.equals(cohortPrefix)) {
                    stages[i] = stage;
                    return;
                }
            }
            throw new IllegalStateException("no state in " + cohortPrefix);
        }

        /** Where the client's state in {@code cohort} is held, or -1. */
        int indexOf(Cohort cohort) {
            for (int i = 0; i < size; i++) {
                if (cohorts[i] == cohort) {
                    return i;
                }
            }
            return -1;
        }

        /** Removes the client's state in {@code cohort}, keeping the others in order; returns it, or null. */
        ClientStage remove(Cohort cohort) {
            int at = indexOf(cohort);
            if (at < 0) {
                return null;
            }
            ClientStage stage = stages[at];
            removeIf((held, state) -> held == cohort);
            return stage;
        }

        void add(Cohort cohort, ClientStage stage) {
            if (size == cohorts.length) {
                cohorts = Arrays.copyOf(cohorts, size * 2);
                stages = Arrays.copyOf(stages, size * 2);
            }
            cohorts[size] = cohort;
            stages[size] = stage;
            size++;
        }

        /** Removes the states that {@code remove} selects (asked once each), keeping the others in order. */
        void removeIf(BiPredicate<Cohort, ClientStage> remove) {
            int kept = 0;
            for (int i = 0; i < size; i++) {
                if (!remove.test(cohorts[i], stages[i])) {
                    cohorts[kept] = cohorts[i];
                    stages[kept] = stages[i];
                    kept++;
                }
            }
            Arrays.fill(cohorts, kept, size, null);
            Arrays.fill(stages, kept, size, null);
            size = kept;
            next = 0;
        }

        /**
         * The first byte of a record that names its cohorts by id. A record naming them by prefix (the layout before)
         * starts with its count of states, at least 1.
         */
        private static final byte BY_ID = 0;
        /** The version of the layout, after {@link #BY_ID}. */
        private static final byte LAYOUT = 1;

        /** The most bytes {@link #writeTo} writes for {@code client}. */
        static int maxLength(Client client) {
            return 2 + 5 + client.size * (5 + 5 + 5 + ClientStage.MAX_ENCODED_LENGTH);
        }

        /**
         * {@link #BY_ID}, {@link #LAYOUT}, how many states; then each as its cohort's id and either 0 and the encoded
         * state ({@link ClientStage#toBytes}, length first) or {@code k} when the state encodes as the {@code k}-th
         * distinct state before it; all numbers unsigned varints. States are compared by their figures ({@link
         * ClientStage#sameAs}), so a client's twenty alike states are encoded once. Every cohort has its id. {@code
         * scratch} holds a state while it is encoded.
         */
        void writeTo(ByteBuffer out, ByteBuffer scratch) {
            ClientStage[] distinct = new ClientStage[size];
            int distinctCount = 0;
            out.put(BY_ID).put(LAYOUT);
            ByteUtils.writeUnsignedVarint(size, out);
            for (int i = 0; i < size; i++) {
                ByteUtils.writeUnsignedVarint(cohorts[i].id, out);
                int sameAs = 0;
                for (int d = 0; d < distinctCount; d++) {
                    if (distinct[d] == stages[i] || distinct[d].sameAs(stages[i])) {
                        sameAs = d + 1;
                        break;
                    }
                }
                ByteUtils.writeUnsignedVarint(sameAs, out);
                if (sameAs == 0) {
                    distinct[distinctCount++] = stages[i];
                    scratch.clear();
                    stages[i].writeTo(scratch);
                    ByteUtils.writeUnsignedVarint(scratch.position(), out);
                    out.put(scratch.array(), 0, scratch.position());
                }
            }
        }

        /** Whether a record names its cohorts by prefix, as records were written before cohorts had ids. */
        static boolean namesByPrefix(byte[] data) {
            return data[0] != BY_ID;
        }

        /**
         * Reads a record back, its cohorts named by id ({@code byId} gives the cohort of an id) or, in the layout
         * before, by prefix ({@code byPrefix}): the same, with each id in place of the cohort prefix (UTF-8, length
         * first) and no leading {@link #BY_ID} and {@link #LAYOUT}. The states written as one (alike when written) are
         * read as one object, shared until an event reaches some of them and not others ({@link #count}).
         */
        static Client fromBytes(byte[] data, IntFunction<Cohort> byId, Function<String, Cohort> byPrefix) {
            ByteBuffer in = ByteBuffer.wrap(data);
            if (namesByPrefix(data)) {
                return read(in, states -> {
                    byte[] prefix = new byte[ByteUtils.readUnsignedVarint(states)];
                    states.get(prefix);
                    return byPrefix.apply(new String(prefix, StandardCharsets.UTF_8));
                });
            }
            in.get();
            byte layout = in.get();
            if (layout != LAYOUT) {
                throw new IllegalStateException("Unknown layout " + layout + " of a client record");
            }
            return read(in, states -> byId.apply(ByteUtils.readUnsignedVarint(states)));
        }

        /** Reads the states of a record, from its count on; {@code cohort} reads the cohort of each. */
        private static Client read(ByteBuffer in, Function<ByteBuffer, Cohort> cohort) {
            // Its key is set once the store holds it (loaded).
            Client client = new Client(null);
            int n = ByteUtils.readUnsignedVarint(in);
            ClientStage[] distinct = new ClientStage[n];
            int distinctCount = 0;
            for (int i = 0; i < n; i++) {
                Cohort inCohort = cohort.apply(in);
                int sameAs = ByteUtils.readUnsignedVarint(in);
                ClientStage stage;
                if (sameAs == 0) {
                    byte[] encoded = new byte[ByteUtils.readUnsignedVarint(in)];
                    in.get(encoded);
                    stage = ClientStage.fromBytes(encoded);
                    distinct[distinctCount++] = stage;
                } else {
                    stage = distinct[sameAs - 1];
                }
                client.add(inCohort, stage);
            }
            return client;
        }
    }
}
