package dev.rollguard.alert.rest;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rollguard.alert.service.GuardEvaluator.FlagGuard;
import dev.rollguard.alert.service.GuardView;
import dev.rollguard.alert.service.RuleEvaluationService;
import dev.rollguard.alert.service.RuleEvaluationService.ActiveLevel;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The guard's latest verdict on every flag under rollout that it has judged: NO_DATA and INSUFFICIENT_DATA are states
 * here, as are REGRESSION (with its severity), HEALTHY (non-inferior on every metric with data) and INCONCLUSIVE, each
 * with every metric's evidence, and the rule levels pending or firing on the flag's scopes.
 */
@Path("/api/guard")
public class GuardResource {

    /** A rule level pending or firing on one of the flag's scopes. */
    public record AlertLevelView(
            String ruleId, String ruleName, String scopeKey, String cohort, String severity, String phase) {}

    /**
     * A flag's verdict.
     *
     * @param confidence 1 - the flag's alpha: the probability, over the whole stage however often it is looked at,
     *     that a healthy stage is not called a regression; also the confidence of HEALTHY's non-inferiority
     * @param nonInferiorityP always-valid p-value of "some guarded metric is worse than tolerated" (the largest of the
     *     reported metrics'): HEALTHY when at most {@code 1 - confidence}
     * @param alerts every rule level pending or firing on the flag's scopes now (guard and threshold rules alike)
     * @param variant for a flag with weighted variants, the treated variant whose verdict is the flag's (its worst);
     *     null for a plain flag
     * @param variants for a flag with weighted variants, each treated variant's own verdict against the control, by
     *     variant name; empty otherwise
     * @param cohorts {@code DRAWN} (subjects one random draw split), {@code POPULATIONS} (a stage that draws nobody:
     *     everyone served the treatment against everyone else) or null (not told), as {@link GuardView#cohorts}
     */
    public record FlagView(
            String flagKey,
            Long stageVersion,
            String status,
            String severity,
            String summary,
            Double confidence,
            Double nonInferiorityP,
            Instant judgedAt,
            List<GuardView.MetricView> metrics,
            List<AlertLevelView> alerts,
            String variant,
            List<FlagView> variants,
            String cohorts) {}

    private final RuleEvaluationService evaluation;
    private final ObjectMapper json;

    public GuardResource(RuleEvaluationService evaluation, ObjectMapper json) {
        this.evaluation = evaluation;
        this.json = json;
    }

    /** Every verdict, or with {@code ?flag=KEY} that flag's alone (an empty list when the guard has not judged it). */
    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public Uni<List<FlagView>> list(@QueryParam("flag") String flag) {
        return evaluation.guardVerdicts().chain(latest -> evaluation
                .storedGuardVerdicts()
                .chain(stored -> evaluation.activeLevels(flag).map(levels -> {
                    Map<String, List<AlertLevelView>> alerts = new HashMap<>();
                    for (ActiveLevel level : levels) {
                        alerts.computeIfAbsent(level.flagKey(), k -> new ArrayList<>())
                                .add(new AlertLevelView(
                                        level.ruleId(),
                                        level.ruleName(),
                                        level.scopeKey(),
                                        level.cohort() == null
                                                ? null
                                                : level.cohort().name(),
                                        level.severity().name(),
                                        level.phase().name()));
                    }
                    List<FlagView> views = new ArrayList<>();
                    latest.values().stream()
                            .filter(guard -> flag == null || flag.equals(guard.flagKey()))
                            .forEach(guard -> views.add(view(guard, alerts.getOrDefault(guard.flagKey(), List.of()))));
                    stored.forEach((key, verdictJson) -> {
                        if (!latest.containsKey(key) && (flag == null || flag.equals(key))) {
                            views.add(storedView(key, verdictJson, alerts.getOrDefault(key, List.of())));
                        }
                    });
                    views.sort(Comparator.comparing(FlagView::flagKey));
                    return views;
                })));
    }

    private static FlagView view(FlagGuard guard, List<AlertLevelView> alerts) {
        return view(GuardView.of(guard), alerts);
    }

    private static FlagView view(GuardView guard, List<AlertLevelView> alerts) {
        return new FlagView(
                guard.flagKey(),
                guard.stageVersion(),
                guard.status(),
                guard.severity(),
                guard.summary(),
                guard.confidence(),
                guard.nonInferiorityP(),
                guard.judgedAt(),
                guard.metrics(),
                alerts,
                guard.variant(),
                guard.variants().stream().map(v -> view(v, List.of())).toList(),
                guard.cohorts());
    }

    /**
     * A verdict the guard stored: another replica's, for a flag of a partition it owns (the whole view, as that
     * replica would answer), or one stored before this instance's last restart and not judged since. A verdict stored
     * by an earlier version holds its state and summary only.
     */
    private FlagView storedView(String flag, String verdictJson, List<AlertLevelView> alerts) {
        GuardView stored;
        try {
            stored = json.readValue(verdictJson, GuardView.class);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            stored = new GuardView(flag, null, null, null, null, null, null, null, null, null, null, null);
        }
        if (stored.flagKey() == null) {
            stored = new GuardView(
                    flag,
                    stored.stageVersion(),
                    stored.status(),
                    stored.severity(),
                    stored.summary(),
                    stored.confidence(),
                    stored.nonInferiorityP(),
                    stored.judgedAt(),
                    stored.metrics(),
                    stored.variant(),
                    stored.variants(),
                    stored.cohorts());
        }
        return view(stored, alerts);
    }
}
