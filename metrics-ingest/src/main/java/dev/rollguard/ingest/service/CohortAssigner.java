package dev.rollguard.ingest.service;

import dev.rollguard.ingest.domain.CohortAssignment;
import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.event.FlagExposure;
import dev.rollguard.schemas.targeting.Evaluation;
import dev.rollguard.schemas.targeting.FlagEvaluator;
import dev.rollguard.schemas.targeting.Rollouts;
import io.quarkus.logging.Log;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Assigns an event to a cohort per flag under rollout. Only a flag whose treatment can be compared with a control at
 * the event time ({@link Rollouts#underRollout}: on, not killed nor archived, a share strictly between 0 and 100 % or
 * an allow-list at 0 %, and the global kill switch off) gets cohort scopes: a disabled, killed, archived, 0 % or
 * 100 % flag costs nothing per event, so the cost of an event grows with the flags being rolled out, not with every
 * flag that exists.
 *
 * <p>When the client reported exposures, they decide the cohort: an exposure's {@code treated} if given, else whether
 * its variant is the treatment variant of the flag version it names (or of the version in force at the event time).
 * An exposure of a flag Rollguard does not know (yet) is kept when it says {@code treated}. Without exposures every
 * flag under rollout is evaluated for the event's subject with the shared {@link FlagEvaluator}, against the flag
 * version in force at the event time, so telemetry cohorts match what the flag-service served.
 *
 * <p>An exposure also tells whether the app evaluates with the key Rollguard assumes: the flag-service's evaluation
 * depends only on the targeting key and the flag versions, so when the event's subject, evaluated against the
 * exposure's flag version, lands in the other cohort than the exposure says, the app evaluated with another key
 * (an email, an anonymous id) than the {@code userId} it reports. Its events without exposures are then bucketed by
 * the wrong key; {@link Result#keyMismatches} names those flags.
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
     * @param keyMismatches flags whose exposure names the other cohort than the event's subject evaluates to
     */
    public record Result(List<CohortAssignment> assignments, int unresolvedExposures, List<String> keyMismatches) {}

    /** The event's cohorts; the subject is the user, or the client when no user is signed in. */
    public Result assign(List<FlagExposure> exposures, String userId, String clientId, long eventTime) {
        if (directory.globallyKilledAt(eventTime)) {
            // Every flag is off for everyone: nothing is being rolled out.
            return new Result(List.of(), 0, List.of());
        }
        String subject = userId == null || userId.isBlank() ? clientId : userId;
        if (exposures != null && !exposures.isEmpty()) {
            return fromExposures(exposures, subject, eventTime);
        }
        return new Result(evaluated(subject, eventTime), 0, List.of());
    }

    private Result fromExposures(List<FlagExposure> exposures, String subject, long eventTime) {
        int unresolved = 0;
        List<String> mismatches = List.of();
        List<CohortAssignment> result = new ArrayList<>(exposures.size());
        Set<String> seen = new HashSet<>();
        for (FlagExposure exposure : exposures) {
            if (!seen.add(exposure.getFlagKey())) {
                continue;
            }
            FlagChangedEvent inForce = directory.asOf(exposure.getFlagKey(), eventTime);
            if (inForce != null && !Rollouts.underRollout(inForce)) {
                continue;
            }
            FlagChangedEvent flag = exposure.getFlagVersion() == null
                    ? null
                    : directory.version(exposure.getFlagKey(), exposure.getFlagVersion());
            if (flag == null) {
                flag = directory.asOf(exposure.getFlagKey(), eventTime);
            }
            if (flag == null) {
                flag = directory.latest(exposure.getFlagKey());
            }
            Boolean treated = exposure.getTreated();
            if (treated == null) {
                if (flag == null) {
                    unresolved++;
                    continue;
                }
                treated = exposure.getVariant().equals(flag.getTreatmentVariant());
            }
            result.add(new CohortAssignment(exposure.getFlagKey(), treated ? Cohort.TREATMENT : Cohort.CONTROL, true));
            if (flag != null && keyMismatch(flag, subject, treated, eventTime)) {
                if (mismatches.isEmpty()) {
                    mismatches = new ArrayList<>(2);
                }
                mismatches.add(exposure.getFlagKey());
            }
        }
        return new Result(result, unresolved, mismatches);
    }

    /**
     * Whether {@code subject}, evaluated against the exposure's flag version, is served the other cohort than the
     * exposure says. Only a flag under rollout splits subjects; without a subject nothing can be compared.
     */
    private boolean keyMismatch(FlagChangedEvent flag, String subject, boolean treated, long eventTime) {
        if (subject == null || subject.isBlank() || !Rollouts.underRollout(flag)) {
            return false;
        }
        try {
            Evaluation evaluation = FlagEvaluator.evaluate(flag, subject, key -> directory.asOf(key, eventTime), false);
            return evaluation.errorCode() == null && evaluation.treated() != treated;
        } catch (RuntimeException e) {
            return false;
        }
    }

    private List<CohortAssignment> evaluated(String targetingKey, long eventTime) {
        List<CohortAssignment> result = new ArrayList<>();
        for (String flagKey : directory.flagKeys()) {
            FlagChangedEvent flag = directory.asOf(flagKey, eventTime);
            if (flag == null || !Rollouts.underRollout(flag)) {
                continue;
            }
            try {
                Evaluation evaluation =
                        FlagEvaluator.evaluate(flag, targetingKey, key -> directory.asOf(key, eventTime), false);
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
