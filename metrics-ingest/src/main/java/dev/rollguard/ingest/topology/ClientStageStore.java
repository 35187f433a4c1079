package dev.rollguard.ingest.topology;

import dev.rollguard.ingest.domain.ClientStage;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;

/**
 * The guard's per-client state of one input task, kept live ({@link LiveStore}): for each flag under rollout, rollout
 * stage, cohort and client (key {@code <flag>|<stage version>|<cohort>|<client id>}), the client's cumulative
 * numerators and denominators since the stage began ({@link ClientStage}). The telemetry topics are keyed by client
 * id, so all of a client's events reach the same task and its state lives in one place.
 */
final class ClientStageStore extends LiveStore<ClientStage> {

    static final String STORE = "client-stages";

    private ClientStageStore(KeyValueStore<String, byte[]> changelogged) {
        super(changelogged);
    }

    static StoreBuilder<ClientStageStore> builder() {
        return LiveStore.builder(STORE, ClientStageStore::new);
    }

    static String key(String flagKey, long stageVersion, String cohort, String clientId) {
        return flagKey + "|" + stageVersion + "|" + cohort + "|" + clientId;
    }

    /** The flag key of a key. */
    static String flagKey(String key) {
        return key.substring(0, key.indexOf('|'));
    }

    /** The stage version of a key. */
    static long stageVersion(String key) {
        int first = key.indexOf('|');
        return Long.parseLong(key.substring(first + 1, key.indexOf('|', first + 1)));
    }

    /** A client's state, created empty when absent; the caller updates it in place and calls {@link #touch}. */
    ClientStage stage(String key) {
        ClientStage stage = get(key);
        if (stage == null) {
            stage = new ClientStage();
            put(key, stage);
        }
        return stage;
    }

    @Override
    protected byte[] encode(ClientStage value) {
        return value.toBytes();
    }

    @Override
    protected ClientStage decode(byte[] data) {
        return ClientStage.fromBytes(data);
    }
}
