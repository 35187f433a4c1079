package dev.rollguard.ingest.topology;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.ingest.domain.ClientMoments;
import dev.rollguard.ingest.domain.ClientStage;
import dev.rollguard.ingest.domain.Observation;
import dev.rollguard.ingest.domain.TelemetryKind;
import dev.rollguard.schemas.guard.GuardMetrics;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.internals.WrappedStateStore;
import org.junit.jupiter.api.Test;

/**
 * The per-client states across a standby stint, on two stores sharing one changelog: the first instance raises a
 * cohort's sampling level, commits and becomes a standby; the second restores, adds a cohort, ends the first (its
 * dictionary entry and level deleted) and meets it again under a new id; the first reads those records and becomes
 * active again. Its levels, tracked counts and client states must equal the second's and a fresh restore's.
 */
class ClientStageStandbyTest {
    static final int WIDTH = GuardMetrics.COUNT * ClientMoments.WIDTH;
    static final String X = ClientStageStore.cohort("checkout", 7, "TREATMENT");
    static final String Y = ClientStageStore.cohort("search", 3, "CONTROL");
    static final String Z = ClientStageStore.cohort("cart", 2, "TREATMENT");

    /** A logging layer: every write goes to the shared changelog list, then underneath. */
    static final class Tee extends WrappedStateStore<KeyValueStore<Bytes, byte[]>, Bytes, byte[]>
            implements KeyValueStore<Bytes, byte[]> {
        final List<KeyValue<Bytes, byte[]>> log;

        Tee(KeyValueStore<Bytes, byte[]> inner, List<KeyValue<Bytes, byte[]>> log) {
            super(inner);
            this.log = log;
        }

        @Override
        public void init(StateStoreContext c, StateStore root) {
            wrapped().init(c, root);
        }

        @Override
        public void put(Bytes k, byte[] v) {
            log.add(KeyValue.pair(k, v));
            wrapped().put(k, v);
        }

        @Override
        public byte[] putIfAbsent(Bytes k, byte[] v) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void putAll(List<KeyValue<Bytes, byte[]>> e) {
            e.forEach(kv -> put(kv.key, kv.value));
        }

        @Override
        public byte[] delete(Bytes k) {
            log.add(KeyValue.pair(k, null));
            return wrapped().delete(k);
        }

        @Override
        public byte[] get(Bytes k) {
            return wrapped().get(k);
        }

        @Override
        public KeyValueIterator<Bytes, byte[]> range(Bytes a, Bytes b) {
            throw new UnsupportedOperationException();
        }

        @Override
        public KeyValueIterator<Bytes, byte[]> all() {
            return wrapped().all();
        }

        @Override
        public long approximateNumEntries() {
            return wrapped().approximateNumEntries();
        }
    }

    static KeyValueStore<String, byte[]> chain(RestoreOnlyStore underneath, List<KeyValue<Bytes, byte[]>> log) {
        Tee tee = new Tee(underneath, log);
        KeyValueStore<String, byte[]> store = Stores.keyValueStoreBuilder(
                        new org.apache.kafka.streams.state.KeyValueBytesStoreSupplier() {
                            public String name() {
                                return underneath.name();
                            }

                            public KeyValueStore<Bytes, byte[]> get() {
                                return tee;
                            }

                            public String metricsScope() {
                                return "in-memory";
                            }
                        },
                        Serdes.String(),
                        Serdes.ByteArray())
                .withLoggingDisabled()
                .withCachingDisabled()
                .build();
        store.init(new MockProcessorContext<>().getStateStoreContext(), store);
        return store;
    }

    static void replay(RestoreOnlyStore u, List<KeyValue<Bytes, byte[]>> log, int from, int to) {
        for (int i = from; i < to; i++) {
            u.put(log.get(i).key, log.get(i).value);
        }
    }

    static Observation sync(long time) {
        return new Observation(TelemetryKind.SYNC, time, true, 120, 0, "notes", -1, -1, 3, 0, -1, 0, false, null, null);
    }

    static void event(ClientStageStore s, String cohort, String client, long t, int cap) {
        double[] sums = new double[WIDTH];
        ClientStage st = s.admit(cohort, client, cap, sums);
        if (st != null) st.add(sync(t), sums);
    }

    @Test
    void clientStatesSurviveAStintAsStandby() {
        List<KeyValue<Bytes, byte[]>> log = new ArrayList<>();
        RestoreOnlyStore ua = new RestoreOnlyStore(ClientStageStore.STORE);
        ClientStageStore a = new ClientStageStore(chain(ua, log));
        for (int i = 0; i < 600; i++) {
            event(a, X, "c" + i, i, 100);
            event(a, Y, "c" + i, i, 1000);
        }
        a.flushCache();
        int levelX = a.level(X);
        assertThat(levelX).isGreaterThan(0);
        a.clearCache(); // A: active -> standby
        int p = log.size();

        // B restores the whole changelog and runs.
        RestoreOnlyStore ub = new RestoreOnlyStore(ClientStageStore.STORE);
        ClientStageStore b = new ClientStageStore(chain(ub, new ArrayList<>()));
        replay(ub, log, 0, p);
        // b's own writes must go to the shared log: rebuild b over a tee on the shared log
        RestoreOnlyStore ub2 = new RestoreOnlyStore(ClientStageStore.STORE);
        ClientStageStore b2 = new ClientStageStore(chain(ub2, log));
        replay(ub2, log, 0, p);
        log.subList(p, log.size()).clear();
        assertThat(b2.level(X)).isEqualTo(levelX);
        for (int i = 600; i < 900; i++) {
            event(b2, Z, "c" + i, i, 1000);
            event(b2, Y, "c" + i, i, 1000);
        }
        b2.flushCache();
        b2.sweep(key -> key.startsWith("checkout|"), (key, st) -> false); // X ends
        b2.flushCache();
        for (int i = 900; i < 950; i++) {
            event(b2, X, "c" + i, i, 10); // X met again (new id), level rises again
        }
        b2.flushCache();

        // A, standby, reads B's records; then active again.
        replay(ua, log, p, log.size());
        a.clearCache();

        RestoreOnlyStore ur = new RestoreOnlyStore(ClientStageStore.STORE);
        ClientStageStore ref = new ClientStageStore(chain(ur, new ArrayList<>()));
        replay(ur, log, 0, log.size());

        for (String c : List.of(X, Y, Z)) {
            assertThat(a.level(c)).as("level " + c).isEqualTo(ref.level(c)).isEqualTo(b2.level(c));
            assertThat(a.trackedClients(c))
                    .as("tracked " + c)
                    .isEqualTo(ref.trackedClients(c))
                    .isEqualTo(b2.trackedClients(c));
        }
        for (int i = 0; i < 950; i++) {
            for (String c : List.of(X, Y, Z)) {
                ClientStage sa = a.tracked(c + "c" + i);
                ClientStage sr = b2.tracked(c + "c" + i);
                assertThat(sa == null).as(c + "c" + i).isEqualTo(sr == null);
                if (sa != null) assertThat(sa.sameAs(sr)).as(c + "c" + i).isTrue();
            }
        }
        // and A can go on: a commit after the turn
        event(a, Y, "c-new", 1000, 1000);
        a.flushCache();
    }
}
