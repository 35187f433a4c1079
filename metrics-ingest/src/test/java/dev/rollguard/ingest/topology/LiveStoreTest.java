package dev.rollguard.ingest.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a live store writes to its changelog at each commit: the latest value of every key changed since the one
 * before, a tombstone for every key removed whose latest record is a value, and nothing else.
 */
class LiveStoreTest {

    /** Values are strings; a key starting with {@code 0:} is an earlier version's record of the key after it. */
    static final class Strings extends LiveStore<String> {

        Strings(KeyValueStore<String, byte[]> changelogged) {
            super(changelogged);
        }

        @Override
        protected byte[] encode(String value) {
            return value.getBytes(StandardCharsets.UTF_8);
        }

        @Override
        protected String decode(byte[] data) {
            return new String(data, StandardCharsets.UTF_8);
        }

        @Override
        protected boolean earlierVersion(String key) {
            return key.startsWith("0:");
        }

        @Override
        protected void readEarlierVersion(String key, byte[] value) {
            adopt(key.substring(2), "adopted " + decode(value));
        }
    }

    private KeyValueStore<String, byte[]> changelog;
    /** The writes reaching the changelog: {@code put <key>=<value>} or {@code delete <key>}. */
    private final List<String> writes = new ArrayList<>();

    @BeforeEach
    void open() {
        changelog = InMemoryChangelog.open("live");
    }

    /** A store over the changelog whose writes are recorded. */
    @SuppressWarnings("unchecked")
    private Strings store() {
        KeyValueStore<String, byte[]> recorded = (KeyValueStore<String, byte[]>) Proxy.newProxyInstance(
                KeyValueStore.class.getClassLoader(), new Class<?>[] {KeyValueStore.class}, (proxy, method, args) -> {
                    if (method.getName().equals("put")) {
                        writes.add("put " + args[0] + "=" + new String((byte[]) args[1], StandardCharsets.UTF_8));
                    } else if (method.getName().equals("delete")) {
                        writes.add("delete " + args[0]);
                    }
                    try {
                        return method.invoke(changelog, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        return new Strings(recorded);
    }

    private String stored(String key) {
        byte[] value = changelog.get(key);
        return value == null ? null : new String(value, StandardCharsets.UTF_8);
    }

    @Test
    void aKeyRemovedAndSetAgainBeforeTheCommitIsWrittenOnceWithItsLatestValue() {
        Strings store = store();
        store.put("a", "1");
        store.put("b", "1");
        store.flushCache();
        writes.clear();

        store.drain();
        store.put("a", "2");
        store.remove("b");
        store.put("b", "2");
        store.remove("b");
        store.flushCache();

        assertThat(writes).containsExactly("put a=2", "delete b");
        assertThat(store.size()).isEqualTo(1);
        assertThat(store.get("a")).isEqualTo("2");
        assertThat(store.get("b")).isNull();
    }

    @Test
    void aKeyNeverWrittenGetsNoTombstoneAndATouchBringsNoRemovedKeyBack() {
        Strings store = store();
        store.put("a", "1");
        store.remove("a");
        store.put("b", "1");
        store.flushCache();
        assertThat(writes).containsExactly("put b=1");
        writes.clear();

        assertThat(store.get("b")).isEqualTo("1");
        store.remove("b");
        store.touch("b");
        store.touch("c");
        store.flushCache();
        assertThat(writes).containsExactly("delete b");
        writes.clear();

        // The removed key's entry is gone with its tombstone: setting it again writes it as new.
        store.put("b", "2");
        store.flushCache();
        assertThat(writes).containsExactly("put b=2");
        assertThat(stored("b")).isEqualTo("2");
    }

    @Test
    void aValueReadAndTouchedIsWrittenWithItsChangesAndSizeCountsOnlyValues() {
        Strings store = store();
        store.put("a", "1");
        store.put("b", "1");
        store.put("c", "1");
        store.flushCache();
        writes.clear();

        assertThat(store.get("a")).isEqualTo("1");
        store.touch("a");
        assertThat(store.removeIf((key, value) -> key.equals("c"))).isEqualTo(1);
        assertThat(store.size()).isEqualTo(2);
        store.flushCache();

        assertThat(writes).containsExactly("put a=1", "delete c");
        assertThat(new Strings(changelog).size()).isEqualTo(2);
    }

    @Test
    void aCurrentRecordReadAfterAnEarlierVersionAdoptedIntoItsKeyIsTheValueKeptAndWritten() {
        // Read back in key order: the earlier version's record of "x" first, then the current one.
        changelog.put("0:x", "old".getBytes(StandardCharsets.UTF_8));
        changelog.put("x", "current".getBytes(StandardCharsets.UTF_8));
        changelog.put("0:y", "old".getBytes(StandardCharsets.UTF_8));

        Strings store = store();
        assertThat(store.get("x")).isEqualTo("current");
        assertThat(store.get("y")).isEqualTo("adopted old");
        assertThat(store.size()).isEqualTo(2);
        store.touch("x");
        store.flushCache();

        assertThat(stored("x")).isEqualTo("current");
        assertThat(stored("y")).isEqualTo("adopted old");
        assertThat(stored("0:x")).isNull();
        assertThat(stored("0:y")).isNull();
    }
}
