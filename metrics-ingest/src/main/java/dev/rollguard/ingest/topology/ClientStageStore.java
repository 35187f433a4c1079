package dev.rollguard.ingest.topology;

import dev.rollguard.ingest.domain.ClientSampling;
import dev.rollguard.ingest.domain.ClientStage;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.BiPredicate;
import java.util.function.Predicate;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;

/**
 * The guard's per-client state of one input task, kept live ({@link LiveStore}): for each flag under rollout, rollout
 * stage, cohort and tracked client (key {@code <flag>|<stage version>|<cohort>|<client id>}), the client's cumulative
 * numerators and denominators since the stage began ({@link ClientStage}). The telemetry topics are keyed by client
 * id, so all of a client's events reach the same task and its state lives in one place.
 *
 * <p>Bounded per cohort: a cohort (flag, stage, cohort) tracks at most {@code cap} clients. Its clients are sampled by
 * a hash of their id ({@link ClientSampling}) at the cohort's level, 0 (every client) until the cap is passed; then
 * the level rises (the hash threshold halves) until the cohort is back within the cap, and each client no longer
 * tracked is dropped with its contribution retracted from the window's client-level sums ({@link
 * ClientStage#retract}), so that the sums of the stage are exactly those of the tracked clients. A cohort's level is
 * changelogged under the reserved key {@code ~sample|<flag>|<stage version>|<cohort>|}, so a restarted task samples
 * the same clients.
 */
final class ClientStageStore extends LiveStore<ClientStage> {

    static final String STORE = "client-stages";
    /** Key prefix of a cohort's sampling level. */
    static final String SAMPLE = "~sample|";

    /** The cohorts with tracked clients or a level above 0, by cohort prefix {@code <flag>|<stage>|<cohort>|}. */
    private final Map<String, Cohort> cohorts = new HashMap<>();
    /** Cohort prefixes whose level changed since the last commit. */
    private final Set<String> levelsChanged = new HashSet<>();

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

    static String key(String flagKey, long stageVersion, String cohort, String clientId) {
        return cohort(flagKey, stageVersion, cohort) + clientId;
    }

    /** The flag key of a key (or cohort prefix). */
    static String flagKey(String key) {
        return key.substring(0, key.indexOf('|'));
    }

    /** The stage version of a key (or cohort prefix). */
    static long stageVersion(String key) {
        int first = key.indexOf('|');
        return Long.parseLong(key.substring(first + 1, key.indexOf('|', first + 1)));
    }

    /** The cohort prefix of a key: up to and including its third {@code |}. */
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
     * cohort's stage in the partial window of the event at hand). The caller updates a returned state in place and
     * calls {@link #touch}.
     */
    ClientStage admit(String cohortPrefix, String clientId, int cap, double[] sums) {
        String key = cohortPrefix + clientId;
        ClientStage stage = get(key);
        if (stage != null) {
            return stage;
        }
        Cohort cohort = cohorts.computeIfAbsent(cohortPrefix, p -> new Cohort());
        long hash = ClientSampling.hash(clientId);
        if (!ClientSampling.tracked(hash, cohort.level)) {
            return null;
        }
        stage = new ClientStage();
        put(key, stage);
        cohort.tracked++;
        while (cohort.tracked > cap && cohort.level < ClientSampling.MAX_LEVEL) {
            cohort.level++;
            levelsChanged.add(cohortPrefix);
            int level = cohort.level;
            cohort.tracked -= removeIf((k, state) -> {
                if (!k.startsWith(cohortPrefix) || ClientSampling.tracked(k.substring(cohortPrefix.length()), level)) {
                    return false;
                }
                state.retract(sums);
                return true;
            });
        }
        return ClientSampling.tracked(hash, cohort.level) ? stage : null;
    }

    /** The state of a tracked client, or null (tests). */
    ClientStage tracked(String key) {
        return get(key);
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
     * that {@code expired} selects. An expired client's contribution stays in the sums (it was a tracked client of the
     * stage); its cohort keeps its level, so the clients that come later are sampled as before.
     */
    int sweep(Predicate<String> ended, BiPredicate<String, ClientStage> expired) {
        int removed = removeIf((key, state) -> {
            if (ended.test(key) || expired.test(key, state)) {
                Cohort cohort = cohorts.get(cohortOf(key));
                if (cohort != null) {
                    cohort.tracked--;
                }
                return true;
            }
            return false;
        });
        cohorts.entrySet().removeIf(e -> {
            boolean drop = ended.test(e.getKey());
            if (drop) {
                levelsChanged.add(e.getKey());
            }
            return drop;
        });
        return removed;
    }

    @Override
    protected void loaded(String key, ClientStage value) {
        cohorts.computeIfAbsent(cohortOf(key), p -> new Cohort()).tracked++;
    }

    @Override
    protected void readOwn(String key, byte[] value) {
        if (key.startsWith(SAMPLE)) {
            cohorts.computeIfAbsent(key.substring(SAMPLE.length()), p -> new Cohort()).level =
                    ByteBuffer.wrap(value).getInt();
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
            } else if (changelog.get(SAMPLE + prefix) != null) {
                changelog.delete(SAMPLE + prefix);
            }
        }
        levelsChanged.clear();
    }

    @Override
    protected void resetOwn() {
        cohorts.clear();
        levelsChanged.clear();
    }

    @Override
    protected ClientStage decode(byte[] data) {
        return ClientStage.fromBytes(data);
    }

    @Override
    protected byte[] encode(ClientStage value) {
        return value.toBytes();
    }

    /** A cohort's sampling level and how many clients it tracks. */
    private static final class Cohort {
        int level;
        int tracked;
    }
}
