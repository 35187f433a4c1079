package dev.rollguard.flag.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.rollguard.flag.mapping.FlagMapper;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.event.FlagVariant;
import dev.rollguard.schemas.targeting.IndexedList;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.apache.commons.codec.digest.MurmurHash3;

/**
 * Every flag of the environment in memory: what evaluation reads, so no request touches the database. Replaced as a
 * whole on each change (copy on write): readers take one consistent {@link State} without locking.
 *
 * <p>Changes arrive from this instance's commits and, for other instances' changes, from flags.changes; a change
 * applies only when its version is newer than the one held, so replays and duplicates are harmless.
 */
@ApplicationScoped
public class FlagSnapshot {

    private final ObjectMapper json;
    private final Fanout<State> changes = new Fanout<>();
    private volatile State state = State.EMPTY;
    private volatile boolean loaded;

    public FlagSnapshot(ObjectMapper json) {
        this.json = json;
    }

    /**
     * One consistent view of all flags.
     *
     * @param flags flag key to its state (archived flags included: they evaluate to their off value)
     * @param values flag key to variant name to parsed value
     * @param global the global kill switch, or null before it is known
     * @param revision identifies this set of flag versions: equal on every instance holding the same versions
     * @param lastModified time of the newest change held
     * @param served what a bulk evaluation answers: the flags that are not archived, in key order, sorted once per
     *     state rather than on every request
     */
    public record State(
            Map<String, FlagChangedEvent> flags,
            Map<String, Map<String, JsonNode>> values,
            FlagChangedEvent global,
            String revision,
            Instant lastModified,
            List<FlagChangedEvent> served) {

        static final State EMPTY =
                new State(Map.of(), Map.of(), null, FlagSnapshot.revision(Map.of(), null), Instant.EPOCH);

        public State(
                Map<String, FlagChangedEvent> flags,
                Map<String, Map<String, JsonNode>> values,
                FlagChangedEvent global,
                String revision,
                Instant lastModified) {
            this(flags, values, global, revision, lastModified, served(flags));
        }

        private static List<FlagChangedEvent> served(Map<String, FlagChangedEvent> flags) {
            return new TreeMap<>(flags)
                    .values().stream().filter(flag -> !flag.getArchived()).toList();
        }

        public boolean globalKill() {
            return global != null && global.getKilled();
        }

        public JsonNode value(String flagKey, String variant) {
            Map<String, JsonNode> byVariant = values.get(flagKey);
            JsonNode value = byVariant == null ? null : byVariant.get(variant);
            return value == null ? NullNode.getInstance() : value;
        }
    }

    /** Marks the snapshot filled from the database: the instance may serve evaluations. */
    public void markLoaded() {
        loaded = true;
    }

    public boolean loaded() {
        return loaded;
    }

    public State current() {
        return state;
    }

    /**
     * Emits the new state after every change that was applied, from subscription on; a subscriber that has not asked
     * for more keeps only the latest state it missed.
     */
    public Multi<State> changes() {
        return changes.subscribe();
    }

    /** The subscribers of {@link #changes()} that have not cancelled. */
    int changeSubscribers() {
        return changes.subscribers();
    }

    /**
     * The first state {@code ready} accepts, the current one if it does; when none has come within {@code timeout},
     * the state held then. Never blocks: the item arrives on the thread that applied the change, or on a timer's.
     */
    public Uni<State> awaitState(Predicate<State> ready, Duration timeout) {
        State now = state;
        if (ready.test(now)) {
            return Uni.createFrom().item(now);
        }
        // The current state is read again after subscribing to the changes, so one applied in between is not missed.
        return Multi.createBy()
                .merging()
                .streams(changes.subscribe(), Multi.createFrom().item(() -> state))
                .filter(ready)
                .toUni()
                .ifNoItem()
                .after(timeout)
                .recoverWithItem(() -> state);
    }

    /** Applies one change; returns whether it was newer than what the snapshot held. */
    public boolean apply(FlagChangedEvent event) {
        return applyAll(List.of(event));
    }

    /** Applies changes, keeping for each key the highest version; returns whether anything changed. */
    public synchronized boolean applyAll(Collection<FlagChangedEvent> events) {
        State current = state;
        Map<String, FlagChangedEvent> flags = null;
        Map<String, Map<String, JsonNode>> values = null;
        FlagChangedEvent global = current.global();
        Instant lastModified = current.lastModified();
        for (FlagChangedEvent event : events) {
            if (FlagMapper.GLOBAL_KEY.equals(event.getFlagKey())) {
                if (global == null || event.getVersion() > global.getVersion()) {
                    global = event;
                    lastModified = max(lastModified, event.getChangedAt());
                }
                continue;
            }
            FlagChangedEvent held =
                    flags == null ? current.flags().get(event.getFlagKey()) : flags.get(event.getFlagKey());
            if (held != null && held.getVersion() >= event.getVersion()) {
                continue;
            }
            if (flags == null) {
                flags = new HashMap<>(current.flags());
                values = new HashMap<>(current.values());
            }
            // Lookups in the lists are hash lookups from here on; the event is this snapshot's own copy.
            event.setAllowList(IndexedList.of(event.getAllowList()));
            event.setDenyList(IndexedList.of(event.getDenyList()));
            flags.put(event.getFlagKey(), event);
            values.put(event.getFlagKey(), parseValues(event));
            lastModified = max(lastModified, event.getChangedAt());
        }
        if (flags == null && global == current.global()) {
            return false;
        }
        Map<String, FlagChangedEvent> newFlags = flags == null ? current.flags() : Map.copyOf(flags);
        Map<String, Map<String, JsonNode>> newValues = values == null ? current.values() : Map.copyOf(values);
        state = new State(newFlags, newValues, global, revision(newFlags, global), lastModified);
        changes.emit(state);
        return true;
    }

    private Map<String, JsonNode> parseValues(FlagChangedEvent event) {
        Map<String, JsonNode> result = new HashMap<>();
        for (FlagVariant variant : event.getVariants()) {
            try {
                result.put(variant.getName(), json.readTree(variant.getValueJson()));
            } catch (JsonProcessingException e) {
                // A value that is not JSON was never written by this service; serve it as text rather than drop the
                // flag.
                result.put(variant.getName(), json.getNodeFactory().textNode(variant.getValueJson()));
            }
        }
        return Map.copyOf(result);
    }

    private static Instant max(Instant a, Instant b) {
        return b != null && b.isAfter(a) ? b : a;
    }

    /** A hash of every key and version, so instances holding the same flags give the same ETags. */
    static String revision(Map<String, FlagChangedEvent> flags, FlagChangedEvent global) {
        StringBuilder text = new StringBuilder();
        text.append("*:").append(global == null ? 0 : global.getVersion());
        new TreeMap<>(flags)
                .forEach(
                        (key, flag) -> text.append('\n').append(key).append(':').append(flag.getVersion()));
        byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
        long[] hash = MurmurHash3.hash128x64(bytes, 0, bytes.length, 0);
        return Long.toHexString(hash[0]) + Long.toHexString(hash[1]);
    }
}
