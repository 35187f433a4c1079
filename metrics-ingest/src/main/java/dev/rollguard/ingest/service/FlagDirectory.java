package dev.rollguard.ingest.service;

import dev.rollguard.schemas.event.FlagChangeType;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.targeting.IndexedList;
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
 *
 * <p>It is read for every event and every flag, so each flag's versions keep their change times in milliseconds and
 * whether each is under rollout, worked out once when the version arrives; and the flags of which no known version is
 * under rollout are left out of {@link #rolloutCandidates}, so that an event pays nothing for them.
 */
public final class FlagDirectory {

    /** The reserved key of the global kill switch. */
    public static final String GLOBAL_KEY = "*";

    private final int historyVersions;
    private final Map<String, Versions> flags = new ConcurrentHashMap<>();
    private volatile List<FlagChangedEvent> globalSwitch = List.of();
    /** Counts the changes applied; a candidate list made at an older count is made again. */
    private volatile int changes;

    private volatile Candidates candidates = new Candidates(-1, List.of());

    public FlagDirectory(int historyVersions) {
        this.historyVersions = Math.max(1, historyVersions);
    }

    /**
     * Records a change; an older or repeated version than the ones known is ignored. Its allow- and deny-lists are
     * indexed ({@link IndexedList}): every event without exposures looks its subject up in them, for every flag under
     * rollout, and a list may hold thousands of keys.
     */
    public void apply(FlagChangedEvent change) {
        change.setAllowList(IndexedList.of(change.getAllowList()));
        change.setDenyList(IndexedList.of(change.getDenyList()));
        if (GLOBAL_KEY.equals(change.getFlagKey())) {
            globalSwitch = appended(globalSwitch, change);
        } else {
            flags.compute(change.getFlagKey(), (key, known) -> {
                List<FlagChangedEvent> list = known == null ? List.of() : known.list();
                List<FlagChangedEvent> versions = appended(list, change);
                return known != null && versions == list ? known : Versions.of(versions);
            });
        }
        changes++;
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

    /**
     * Keys of the known flags of which some known version is under rollout, in the order of {@link #flagKeys}: only
     * these can be under rollout at any time, as {@link #asOf} of any other key is never a flag under rollout.
     */
    public List<String> rolloutCandidates() {
        Candidates known = candidates;
        int now = changes;
        if (known.changes() == now) {
            return known.keys();
        }
        List<String> keys = new ArrayList<>();
        for (Map.Entry<String, Versions> flag : flags.entrySet()) {
            if (flag.getValue().anyUnderRollout()) {
                keys.add(flag.getKey());
            }
        }
        List<String> made = List.copyOf(keys);
        // A change applied while this list was made has a later count: the next call makes the list again.
        candidates = new Candidates(now, made);
        return made;
    }

    /** The latest version of a flag, or null. */
    public FlagChangedEvent latest(String flagKey) {
        Versions versions = flags.get(flagKey);
        return versions == null || versions.size() == 0 ? null : versions.get(versions.size() - 1);
    }

    /**
     * The version of a flag in force at {@code time}: the latest changed at or before it; when all known versions are
     * later, the oldest known one unless it is the flag's creation (then null: the flag did not exist).
     */
    public FlagChangedEvent asOf(String flagKey, long time) {
        Versions versions = flags.getOrDefault(flagKey, Versions.NONE);
        int at = versions.inForce(time);
        return at < 0 ? null : versions.get(at);
    }

    /** The version of a flag in force at {@code time} ({@link #asOf}) if it is under rollout, else null. */
    public FlagChangedEvent underRolloutAsOf(String flagKey, long time) {
        Versions versions = flags.getOrDefault(flagKey, Versions.NONE);
        int at = versions.inForce(time);
        return at < 0 || !versions.underRollout()[at] ? null : versions.get(at);
    }

    /** Whether a version of the flag is in force at {@code time} ({@link #asOf}) and is not under rollout. */
    public boolean inForceNotUnderRollout(String flagKey, long time) {
        Versions versions = flags.getOrDefault(flagKey, Versions.NONE);
        int at = versions.inForce(time);
        return at >= 0 && !versions.underRollout()[at];
    }

    /** A specific version of a flag if it is still known, else null. */
    public FlagChangedEvent version(String flagKey, long version) {
        Versions versions = flags.get(flagKey);
        if (versions == null) {
            return null;
        }
        for (int i = 0; i < versions.size(); i++) {
            if (versions.get(i).getVersion() == version) {
                return versions.get(i);
            }
        }
        return null;
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
        for (String key : rolloutCandidates()) {
            if (underRolloutAsOf(key, time) != null) {
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
        Versions versions = flags.get(flagKey);
        if (versions == null || versions.size() == 0 || globallyKilledAt(time)) {
            return -1;
        }
        int at = versions.inForce(time);
        if (at < 0 || !versions.underRollout()[at]) {
            return -1;
        }
        while (versions.continuesStage(at)) {
            at--;
        }
        return versions.get(at).getVersion();
    }

    /**
     * The versions of the stage that began at {@code stageVersion} (as {@link #stageVersionAt} names it) that came into
     * force before {@code until}: the version that began it, then each later one of the same run. Null when the
     * directory no longer holds the version that began it (a longer history than it keeps, or a restart that read only
     * the latest versions).
     */
    public List<FlagChangedEvent> stageVersions(String flagKey, long stageVersion, long until) {
        Versions versions = flags.get(flagKey);
        if (versions == null) {
            return null;
        }
        int begin = -1;
        for (int i = 0; i < versions.size(); i++) {
            if (versions.get(i).getVersion() == stageVersion) {
                begin = i;
                break;
            }
        }
        if (begin < 0) {
            return null;
        }
        List<FlagChangedEvent> run = new ArrayList<>();
        run.add(versions.get(begin));
        for (int i = begin + 1;
                i < versions.size() && versions.changedAt()[i] < until && versions.continuesStage(i);
                i++) {
            run.add(versions.get(i));
        }
        return run;
    }

    /** Whether an earlier version under rollout belongs to the same stage as a later one. */
    private static boolean sameStage(FlagChangedEvent earlier, FlagChangedEvent later) {
        return earlier.getRolloutBasisPoints() == later.getRolloutBasisPoints()
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

    /**
     * The known versions of a flag, oldest first, with their change times and whether each is under rollout ({@link
     * Rollouts#underRollout}), worked out once.
     */
    private record Versions(List<FlagChangedEvent> list, long[] changedAt, boolean[] underRollout) {

        static final Versions NONE = of(List.of());

        static Versions of(List<FlagChangedEvent> list) {
            long[] changedAt = new long[list.size()];
            boolean[] underRollout = new boolean[list.size()];
            for (int i = 0; i < list.size(); i++) {
                changedAt[i] = list.get(i).getChangedAt().toEpochMilli();
                underRollout[i] = Rollouts.underRollout(list.get(i));
            }
            return new Versions(list, changedAt, underRollout);
        }

        int size() {
            return list.size();
        }

        FlagChangedEvent get(int i) {
            return list.get(i);
        }

        /**
         * Whether version {@code i} continues the stage of the version before it: both under rollout, with the same
         * share, stage index and allow-list.
         */
        boolean continuesStage(int i) {
            return i > 0 && underRollout[i - 1] && underRollout[i] && sameStage(get(i - 1), get(i));
        }

        boolean anyUnderRollout() {
            for (boolean b : underRollout) {
                if (b) {
                    return true;
                }
            }
            return false;
        }

        /** Index of the version {@link FlagDirectory#asOf} returns, or -1 for none. */
        int inForce(long time) {
            int at = -1;
            for (int i = 0; i < changedAt.length; i++) {
                if (changedAt[i] <= time) {
                    at = i;
                }
            }
            if (at >= 0 || changedAt.length == 0) {
                return at;
            }
            return list.get(0).getChangeType() == FlagChangeType.CREATED ? -1 : 0;
        }
    }

    /** The rollout candidates as made at the {@code changes} count. */
    private record Candidates(int changes, List<String> keys) {}
}
