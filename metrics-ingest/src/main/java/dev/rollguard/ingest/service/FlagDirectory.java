package dev.rollguard.ingest.service;

import dev.rollguard.schemas.event.FlagChangeType;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.targeting.Rollouts;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The recent versions of every flag of flags.changes, so that an event is assigned to the cohort of the flag version
 * in force at its time. Written by the Kafka Streams global thread (also while it restores the global store at
 * start, because {@code StreamsBuilder#addGlobalStore} replays the topic through its processor), read by the stream
 * threads: every value is an immutable list swapped atomically.
 *
 * <p>flags.changes is compacted, so after a restart only the latest version of each flag is known; versions are then
 * accumulated as they arrive. An event older than every known version is evaluated against the oldest one, unless
 * that version is the flag's creation (the flag did not exist yet).
 */
public final class FlagDirectory {

    /** The reserved key of the global kill switch. */
    public static final String GLOBAL_KEY = "*";

    private final int historyVersions;
    private final Map<String, List<FlagChangedEvent>> flags = new ConcurrentHashMap<>();
    private volatile List<FlagChangedEvent> globalSwitch = List.of();

    public FlagDirectory(int historyVersions) {
        this.historyVersions = Math.max(1, historyVersions);
    }

    /** Records a change; an older or repeated version than the ones known is ignored. */
    public void apply(FlagChangedEvent change) {
        if (GLOBAL_KEY.equals(change.getFlagKey())) {
            globalSwitch = appended(globalSwitch, change);
        } else {
            flags.compute(change.getFlagKey(), (key, known) -> appended(known == null ? List.of() : known, change));
        }
    }

    private List<FlagChangedEvent> appended(List<FlagChangedEvent> known, FlagChangedEvent change) {
        if (known.stream().anyMatch(v -> v.getVersion() == change.getVersion())) {
            return known;
        }
        List<FlagChangedEvent> versions = new ArrayList<>(known);
        versions.add(change);
        versions.sort(Comparator.comparingLong(FlagChangedEvent::getVersion));
        while (versions.size() > historyVersions) {
            versions.remove(0);
        }
        return List.copyOf(versions);
    }

    /** Keys of every known flag (not the global switch). */
    public Iterable<String> flagKeys() {
        return flags.keySet();
    }

    /** The latest version of a flag, or null. */
    public FlagChangedEvent latest(String flagKey) {
        List<FlagChangedEvent> versions = flags.get(flagKey);
        return versions == null || versions.isEmpty() ? null : versions.get(versions.size() - 1);
    }

    /**
     * The version of a flag in force at {@code time}: the latest changed at or before it; when all known versions are
     * later, the oldest known one unless it is the flag's creation (then null: the flag did not exist).
     */
    public FlagChangedEvent asOf(String flagKey, long time) {
        List<FlagChangedEvent> versions = flags.get(flagKey);
        if (versions == null || versions.isEmpty()) {
            return null;
        }
        FlagChangedEvent inForce = versionAt(versions, time);
        if (inForce != null) {
            return inForce;
        }
        FlagChangedEvent oldest = versions.get(0);
        return oldest.getChangeType() == FlagChangeType.CREATED ? null : oldest;
    }

    /** A specific version of a flag if it is still known, else null. */
    public FlagChangedEvent version(String flagKey, long version) {
        List<FlagChangedEvent> versions = flags.get(flagKey);
        if (versions == null) {
            return null;
        }
        return versions.stream()
                .filter(v -> v.getVersion() == version)
                .findFirst()
                .orElse(null);
    }

    /**
     * Keys of the flags under rollout at {@code time}: on, not killed nor archived, with a treatment that can be
     * compared with a control (a partial percentage, or an allow-list at 0 %), while the global kill switch is off.
     */
    public List<String> underRolloutAt(long time) {
        if (globallyKilledAt(time)) {
            return List.of();
        }
        List<String> keys = new ArrayList<>();
        for (String key : flags.keySet()) {
            FlagChangedEvent flag = asOf(key, time);
            if (flag != null && underRollout(flag)) {
                keys.add(key);
            }
        }
        return keys;
    }

    /**
     * The rollout stage a flag was in at {@code time}, as the version that began it, or -1 when the flag was not under
     * rollout then. A stage is the run of consecutive versions that keep the same share, stage index and allow-list
     * while under rollout: the period over which the guard accumulates evidence. When the history kept is shorter
     * than the stage, its oldest version kept in that run stands for the beginning.
     */
    public long stageVersionAt(String flagKey, long time) {
        List<FlagChangedEvent> versions = flags.get(flagKey);
        if (versions == null || versions.isEmpty() || globallyKilledAt(time)) {
            return -1;
        }
        int at = -1;
        for (int i = 0; i < versions.size(); i++) {
            if (versions.get(i).getChangedAt().toEpochMilli() <= time) {
                at = i;
            }
        }
        if (at < 0) {
            at = 0;
            if (versions.get(0).getChangeType() == FlagChangeType.CREATED) {
                return -1;
            }
        }
        FlagChangedEvent inForce = versions.get(at);
        if (!underRollout(inForce)) {
            return -1;
        }
        while (at > 0 && sameStage(versions.get(at - 1), inForce)) {
            at--;
        }
        return versions.get(at).getVersion();
    }

    private static boolean sameStage(FlagChangedEvent earlier, FlagChangedEvent later) {
        return underRollout(earlier)
                && earlier.getRolloutBasisPoints() == later.getRolloutBasisPoints()
                && Objects.equals(earlier.getCurrentStage(), later.getCurrentStage())
                && earlier.getAllowList().equals(later.getAllowList());
    }

    /** Whether a flag's treatment can be compared with a control ({@link Rollouts#underRollout}). */
    public static boolean underRollout(FlagChangedEvent flag) {
        return Rollouts.underRollout(flag);
    }

    /** Whether the global kill switch was on at {@code time}. */
    public boolean globallyKilledAt(long time) {
        List<FlagChangedEvent> versions = globalSwitch;
        if (versions.isEmpty()) {
            return false;
        }
        FlagChangedEvent state = versionAt(versions, time);
        if (state == null) {
            // Before the first known change the switch was in the opposite state of that change.
            return versions.get(0).getChangeType() == FlagChangeType.GLOBAL_UNKILLED;
        }
        return state.getChangeType() == FlagChangeType.GLOBAL_KILLED;
    }

    private static FlagChangedEvent versionAt(List<FlagChangedEvent> versions, long time) {
        FlagChangedEvent inForce = null;
        for (FlagChangedEvent v : versions) {
            if (v.getChangedAt().toEpochMilli() <= time) {
                inForce = v;
            }
        }
        return inForce;
    }
}
