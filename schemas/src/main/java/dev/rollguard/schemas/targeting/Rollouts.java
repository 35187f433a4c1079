package dev.rollguard.schemas.targeting;

import dev.rollguard.schemas.event.FlagChangedEvent;

/** Which flags are being rolled out: the ones whose treatment can be compared with a control, and so are guarded. */
public final class Rollouts {

    private Rollouts() {}

    /**
     * Whether a flag is under rollout: on, not killed nor archived, with a treatment that can be compared with a
     * control (a share strictly between 0 and 100 %, or an allow-list at 0 %). A flag at 0 % or 100 %, killed,
     * disabled or archived has nothing to compare.
     */
    public static boolean underRollout(FlagChangedEvent flag) {
        if (!flag.getEnabled() || flag.getKilled() || flag.getArchived()) {
            return false;
        }
        int share = flag.getRolloutBasisPoints();
        return (share > 0 && share < 10_000)
                || (share == 0 && !flag.getAllowList().isEmpty());
    }
}
