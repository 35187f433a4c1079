package dev.rollguard.ingest.topology;

import dev.rollguard.ingest.service.FlagDirectory;
import dev.rollguard.schemas.event.ClientMoment;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.event.ScopeType;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import dev.rollguard.schemas.targeting.BucketDraws;
import java.util.List;

/**
 * Whether a flag cohort window's stage compares populations rather than random draws: whether some version of the
 * flag in force in that stage draws no subject by its bucket ({@link BucketDraws#share} is {@link BucketDraws#NONE}:
 * an allow-list at 0 %, rules with fixed variants only, weighted variants at 100 %). The stage's cohorts then hold
 * everyone the flag serves its treatment against everyone else, and the guard says its verdict compares populations.
 * Any such version counts, not only the one that began the stage: a rule changed in mid-stage changes who is
 * compared from then on, while the stage (share, stage index and allow-list) goes on.
 */
final class PopulationComparison {

    private PopulationComparison() {}

    /**
     * Sets {@code comparesPopulations} on a flag cohort window that carries client moments (a flag under rollout),
     * about the newest stage they carry (the one the guard judges); other windows, and a stage whose beginning version
     * the directory no longer holds, keep null (not known).
     */
    static void stamp(WindowMetricsEvent event, FlagDirectory directory) {
        if (event.getScopeType() != ScopeType.FLAG_COHORT
                || event.getFlagKey() == null
                || event.getClientMoments().isEmpty()) {
            return;
        }
        long stage = -1;
        for (ClientMoment moment : event.getClientMoments()) {
            stage = Math.max(stage, moment.getStageVersion());
        }
        List<FlagChangedEvent> versions = directory.stageVersions(
                event.getFlagKey(), stage, event.getWindowEnd().toEpochMilli());
        if (versions == null) {
            return;
        }
        boolean populations = false;
        for (FlagChangedEvent version : versions) {
            populations |= BucketDraws.share(version) == BucketDraws.NONE;
        }
        event.setComparesPopulations(populations);
    }
}
