package dev.rollguard.ingest.service;

import dev.rollguard.ingest.domain.CohortAssignment;
import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.event.FlagExposure;
import dev.rollguard.schemas.targeting.Evaluation;
import dev.rollguard.schemas.targeting.FlagEvaluator;
import io.quarkus.logging.Log;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Assigns an event to a cohort per flag. When the client reported exposures, they decide: an exposure's {@code
 * treated} if given, else whether its variant is the treatment variant of the flag version it names (or of the
 * version in force at the event time). Without exposures every known, unarchived flag is evaluated for the event's
 * subject with the shared {@link FlagEvaluator}, against the flag version and global kill switch in force at the
 * event time, so telemetry cohorts match what the flag-service served.
 */
public final class CohortAssigner {

    private final FlagDirectory directory;

    public CohortAssigner(FlagDirectory directory) {
        this.directory = directory;
    }

    /**
     * The cohorts of one event.
     *
     * @param unresolvedExposures exposures skipped because their flag is unknown and they did not say {@code treated}
     */
    public record Result(List<CohortAssignment> assignments, int unresolvedExposures) {}

    /** The event's cohorts; the subject is the user, or the client when no user is signed in. */
    public Result assign(List<FlagExposure> exposures, String userId, String clientId, long eventTime) {
        if (exposures != null && !exposures.isEmpty()) {
            return fromExposures(exposures, eventTime);
        }
        return new Result(evaluated(userId == null || userId.isBlank() ? clientId : userId, eventTime), 0);
    }

    private Result fromExposures(List<FlagExposure> exposures, long eventTime) {
        int unresolved = 0;
        List<CohortAssignment> result = new ArrayList<>(exposures.size());
        Set<String> seen = new HashSet<>();
        for (FlagExposure exposure : exposures) {
            if (!seen.add(exposure.getFlagKey())) {
                continue;
            }
            Boolean treated = exposure.getTreated();
            if (treated == null) {
                FlagChangedEvent flag = exposure.getFlagVersion() == null
                        ? null
                        : directory.version(exposure.getFlagKey(), exposure.getFlagVersion());
                if (flag == null) {
                    flag = directory.asOf(exposure.getFlagKey(), eventTime);
                }
                if (flag == null) {
                    flag = directory.latest(exposure.getFlagKey());
                }
                if (flag == null) {
                    unresolved++;
                    continue;
                }
                treated = exposure.getVariant().equals(flag.getTreatmentVariant());
            }
            result.add(new CohortAssignment(exposure.getFlagKey(), treated ? Cohort.TREATMENT : Cohort.CONTROL, true));
        }
        return new Result(result, unresolved);
    }

    private List<CohortAssignment> evaluated(String targetingKey, long eventTime) {
        boolean globalKill = directory.globallyKilledAt(eventTime);
        List<CohortAssignment> result = new ArrayList<>();
        for (String flagKey : directory.flagKeys()) {
            FlagChangedEvent flag = directory.asOf(flagKey, eventTime);
            if (flag == null || flag.getArchived()) {
                continue;
            }
            try {
                Evaluation evaluation =
                        FlagEvaluator.evaluate(flag, targetingKey, key -> directory.asOf(key, eventTime), globalKill);
                result.add(
                        new CohortAssignment(flagKey, evaluation.treated() ? Cohort.TREATMENT : Cohort.CONTROL, false));
            } catch (RuntimeException e) {
                // A flag state the evaluator cannot read must not stop the pipeline; its windows miss this event.
                Log.warnf("cannot evaluate flag %s version %d: %s", flagKey, flag.getVersion(), e.getMessage());
            }
        }
        return result;
    }
}
