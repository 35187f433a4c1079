package dev.rollguard.alert.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollguard.alert.domain.Observation;
import dev.rollguard.alert.domain.RuleDefinition;
import dev.rollguard.alert.domain.StageEvidence;
import dev.rollguard.alert.domain.judgment.CohortMoments;
import dev.rollguard.alert.domain.judgment.Direction;
import dev.rollguard.alert.domain.judgment.FlagJudgment;
import dev.rollguard.alert.domain.judgment.FlagStatus;
import dev.rollguard.alert.domain.judgment.FlagVerdict;
import dev.rollguard.alert.domain.judgment.GuardPack;
import dev.rollguard.alert.domain.judgment.MetricSpec;
import dev.rollguard.alert.domain.judgment.MetricVerdict;
import dev.rollguard.alert.domain.judgment.Severity;
import dev.rollguard.alert.repository.EvaluationWrite.GuardStageRow;
import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The guard's bookkeeping inside the evaluator: accumulates each flag's client-level sums from its cohort windows
 * since the current rollout stage began ({@link StageEvidence}), judges the stage with {@link FlagJudgment} once both
 * cohorts' windows of an interval are in, and keeps each flag's latest verdict for the API. A flag with weighted
 * variants is judged per treated variant, each against the control on its own; the flag's verdict is its worst
 * variant's (a regression of one variant is a regression of the flag, and a flag is healthy only when every variant
 * is). Touched inside the evaluator's lane only.
 */
public final class GuardEvaluator {

    /**
     * The latest verdict of a flag's stage, as shown by the API.
     *
     * @param variant for a flag with weighted variants, the variant whose verdict this is (for the flag's own verdict,
     *     the worst variant's); null for a plain flag
     * @param variants for a flag with weighted variants, each variant's latest verdict by name; empty otherwise
     */
    public record FlagGuard(
            String flagKey,
            long stageVersion,
            FlagVerdict verdict,
            long windowEnd,
            String variant,
            Map<String, FlagGuard> variants) {

        public FlagGuard(String flagKey, long stageVersion, FlagVerdict verdict, long windowEnd) {
            this(flagKey, stageVersion, verdict, windowEnd, null, Map.of());
        }
    }

    /**
     * What a window made ready to judge: the plain treatment of the stage, its treated variants that have come as far
     * as the control, or both.
     */
    record Ready(StageEvidence stage, boolean plain, List<String> variants) {}

    private final ObjectMapper json;
    /** Writes the stored verdict views (instants as RFC 3339 text, whatever the application's mapper does). */
    private final ObjectMapper views;

    private final Map<String, StageEvidence> stages = new HashMap<>();
    /** Read by the metrics registry too, hence concurrent. */
    private final Map<String, FlagGuard> latest = new ConcurrentHashMap<>();
    /** Per flag with weighted variants: each variant's latest verdict in the current stage. */
    private final Map<String, Map<String, FlagGuard>> variantLatest = new HashMap<>();

    private final Map<String, String> storedVerdicts = new HashMap<>();
    /**
     * Per flag no longer under rollout: the flag version at which its last stage ended. A window of that stage or an
     * earlier one (it closed late, after the kill) is over: it must not start the evidence again and fire an alert for
     * a flag that is off, which would then stay firing and hide the next stage's regression.
     */
    private final Map<String, Long> ended = new HashMap<>();

    private final Map<JudgmentKey, FlagJudgment> judgments = new HashMap<>();

    private record JudgmentKey(double tolerance, double alpha) {}

    /** The stored evidence of a flag whose stage ended (its row's version is the version that ended it). */
    static final String ENDED_EVIDENCE = "{\"ended\":true}";

    private static final double MIN_ALPHA = 1e-6;
    private static final double MAX_ALPHA = GuardPack.WARNING_ALPHA;

    GuardEvaluator(ObjectMapper json) {
        this.json = json;
        this.views = json.copy().findAndRegisterModules().disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
    }

    /**
     * Adds a tumbling flag cohort window to its flag's stage; returns what can now be judged at this window's end (a
     * treated cohort whose windows and the control's have both come that far), else null. A window of a newer stage
     * starts the evidence afresh; a window of an earlier stage, or of a stage that ended (the flag was switched off or
     * fully rolled out), is ignored.
     */
    Ready add(WindowMetricsEvent w, Set<String> dirty) {
        String flag = w.getFlagKey();
        long windowStage = StageEvidence.stageOf(w.getClientMoments());
        Long endedAt = ended.get(flag);
        if (endedAt != null) {
            if (windowStage <= endedAt) {
                return null;
            }
            ended.remove(flag);
        }
        StageEvidence stage = stages.get(flag);
        if (stage != null && windowStage >= 0 && windowStage < stage.stageVersion()) {
            // A late window of an earlier stage: its clients' sums belong to that stage, not to this one.
            return null;
        }
        if (windowStage >= 0 && (stage == null || windowStage > stage.stageVersion())) {
            stage = StageEvidence.start(flag, windowStage);
            stages.put(flag, stage);
            latest.remove(flag);
            variantLatest.remove(flag);
        }
        if (stage == null) {
            return null;
        }
        if (windowStage == stage.stageVersion()) {
            stage.told(w.getComparesPopulations());
        }
        long end = w.getWindowEnd().toEpochMilli();
        String variant = w.getCohort() == Cohort.TREATMENT ? w.getVariant() : null;
        stage.add(w.getCohort(), variant, w.getClientMoments(), end);
        dirty.add(flag);
        boolean plain = variant == null && stage.bothAt(end);
        List<String> variants;
        if (variant != null) {
            variants = stage.variantsAt(end).contains(variant) ? List.of(variant) : List.of();
        } else {
            variants = w.getCohort() == Cohort.TREATMENT ? List.of() : stage.variantsAt(end);
        }
        return plain || !variants.isEmpty() ? new Ready(stage, plain, variants) : null;
    }

    /** Judges a stage for a guard rule: the rule's critical threshold is the relative tolerance, its confidence 1 - alpha. */
    FlagVerdict judge(StageEvidence stage, RuleDefinition rule, long windowEnd) {
        FlagVerdict verdict =
                judgment(rule).judge(stage.samples(GuardPack.DEFAULT)).withPopulations(stage.populations());
        latest.put(stage.flagKey(), new FlagGuard(stage.flagKey(), stage.stageVersion(), verdict, windowEnd));
        return verdict;
    }

    /**
     * Judges one treated variant of a stage against the control for a guard rule, and makes the flag's verdict its
     * worst variant's (a variant not judged yet counts as INSUFFICIENT_DATA, so a flag is never HEALTHY before every
     * variant is).
     */
    FlagVerdict judge(StageEvidence stage, String variant, RuleDefinition rule, long windowEnd) {
        // Each variant is one more test of a regression that kills the whole flag: the flag's alpha is split over them.
        FlagJudgment judgment =
                judgment(rule).perVariant(Math.max(1, stage.variants().size()));
        FlagVerdict verdict =
                judgment.judge(stage.samples(variant, GuardPack.DEFAULT)).withPopulations(stage.populations());
        Map<String, FlagGuard> perVariant = variantLatest.computeIfAbsent(stage.flagKey(), k -> new TreeMap<>());
        perVariant.put(
                variant, new FlagGuard(stage.flagKey(), stage.stageVersion(), verdict, windowEnd, variant, Map.of()));
        FlagGuard worst = null;
        for (String name : stage.variants().keySet()) {
            FlagGuard guard = perVariant.get(name);
            if (guard == null) {
                guard = new FlagGuard(
                        stage.flagKey(),
                        stage.stageVersion(),
                        new FlagVerdict(
                                FlagStatus.INSUFFICIENT_DATA,
                                Severity.NONE,
                                List.of(),
                                List.of(),
                                verdict.alpha(),
                                verdict.populations()),
                        windowEnd,
                        name,
                        Map.of());
            }
            if (worst == null || rank(guard.verdict()) < rank(worst.verdict())) {
                worst = guard;
            }
        }
        latest.put(
                stage.flagKey(),
                new FlagGuard(
                        stage.flagKey(),
                        stage.stageVersion(),
                        worst.verdict(),
                        windowEnd,
                        worst.variant(),
                        Map.copyOf(perVariant)));
        return verdict;
    }

    /** How bad a verdict is, worst first: a critical regression, a warning one, no data, too little, unsure, healthy. */
    static int rank(FlagVerdict verdict) {
        return switch (verdict.status()) {
            case REGRESSION -> verdict.severity() == Severity.CRITICAL ? 0 : 1;
            case NO_DATA -> 2;
            case INSUFFICIENT_DATA -> 3;
            case INCONCLUSIVE -> 4;
            case HEALTHY -> 5;
        };
    }

    /** The scope key of a flag's treatment cohort, the scope of its guard alerts: {@code flag:<key>:treatment}. */
    static String treatmentScopeKey(String flagKey) {
        return "flag:" + flagKey + ":treatment";
    }

    /**
     * The scope key of a treated cohort, the scope of its guard alerts: {@code flag:<key>:treatment}, or {@code
     * flag:<key>:treatment:<variant>} for a variant of a weighted flag.
     */
    static String treatmentScopeKey(String flagKey, String variant) {
        return variant == null ? treatmentScopeKey(flagKey) : treatmentScopeKey(flagKey) + ":" + variant;
    }

    /** The observation the guard rule's state machine sees for a verdict at a window. */
    static Observation observation(WindowMetricsEvent w, FlagVerdict verdict, long stageVersion) {
        MetricVerdict headline = headline(verdict);
        Double value = headline == null ? null : headline.treated();
        long sample = headline == null ? 0 : Math.round(headline.treatedEvents());
        return new Observation(
                w.getWindowStart(),
                w.getWindowEnd(),
                w.getEmittedAt(),
                w.getFirstEventTime(),
                value,
                sample,
                null,
                verdict,
                stageVersion);
    }

    /** The metric that speaks for a verdict: the strongest regression, else the first metric judged. */
    static MetricVerdict headline(FlagVerdict verdict) {
        if (!verdict.regressions().isEmpty()) {
            return verdict.regressions().get(0);
        }
        return verdict.metrics().stream()
                .filter(m -> m.treatedClients() > 0 || m.controlClients() > 0)
                .findFirst()
                .orElse(null);
    }

    /**
     * Ends a flag's stage: the flag is no longer under rollout since its version {@code endedAtVersion}. Its evidence
     * is forgotten, and windows of that stage or earlier ones that still arrive are ignored.
     */
    void end(String flag, long endedAtVersion, Set<String> dirty) {
        latest.remove(flag);
        variantLatest.remove(flag);
        storedVerdicts.remove(flag);
        stages.remove(flag);
        ended.merge(flag, endedAtVersion, Math::max);
        dirty.add(flag);
    }

    /** The version of the stage whose evidence is accumulating for {@code flag}, or null when there is none. */
    Long stageVersion(String flag) {
        StageEvidence stage = stages.get(flag);
        return stage == null ? null : stage.stageVersion();
    }

    /** How many flags' latest verdict is in {@code status}. */
    public long count(FlagStatus status) {
        return latest.values().stream()
                .filter(g -> g.verdict().status() == status)
                .count();
    }

    /** The latest verdicts, per flag. */
    Map<String, FlagGuard> latest() {
        return Map.copyOf(latest);
    }

    /** Verdict summaries stored before a restart, for flags not judged since. */
    Map<String, String> storedVerdicts() {
        return Map.copyOf(storedVerdicts);
    }

    /** The rows to write for the flags in {@code dirty}. */
    List<GuardStageRow> rows(Set<String> dirty) {
        return dirty.stream()
                .map(flag -> {
                    StageEvidence stage = stages.get(flag);
                    if (stage == null) {
                        Long endedAt = ended.get(flag);
                        return endedAt == null
                                ? new GuardStageRow(flag, 0, null, null)
                                : new GuardStageRow(flag, endedAt, ENDED_EVIDENCE, null);
                    }
                    FlagGuard guard = latest.get(flag);
                    return new GuardStageRow(
                            flag, stage.stageVersion(), toJson(stage), guard == null ? null : verdictJson(guard));
                })
                .toList();
    }

    /** Replaces everything with what was stored. */
    void load(List<GuardStageRow> rows) {
        stages.clear();
        latest.clear();
        variantLatest.clear();
        storedVerdicts.clear();
        ended.clear();
        for (GuardStageRow row : rows) {
            if (ENDED_EVIDENCE.equals(row.evidence())) {
                ended.put(row.flagKey(), row.stageVersion());
                continue;
            }
            stages.put(row.flagKey(), fromJson(row.flagKey(), row.stageVersion(), row.evidence()));
            if (row.verdict() != null) {
                storedVerdicts.put(row.flagKey(), row.verdict());
            }
        }
    }

    int size() {
        return stages.size();
    }

    private FlagJudgment judgment(RuleDefinition rule) {
        double tolerance = rule.critical() != null
                ? rule.critical().threshold()
                : rule.warning().threshold();
        // The rule's confidence is per flag (0.99: at most 1 % of healthy stages ever called a regression).
        double alpha = Math.min(MAX_ALPHA, Math.max(MIN_ALPHA, 1 - rule.confidence()));
        return judgments.computeIfAbsent(
                new JudgmentKey(tolerance, alpha),
                k -> new FlagJudgment(
                        GuardPack.DEFAULT.stream()
                                .map(spec -> withTolerance(spec, tolerance))
                                .toList(),
                        alpha,
                        Math.max(alpha, GuardPack.WARNING_ALPHA)));
    }

    private static MetricSpec withTolerance(MetricSpec spec, double tolerance) {
        double relative = spec.direction() == Direction.LOWER_IS_WORSE ? Math.min(tolerance, 0.9) : tolerance;
        return spec.withTolerances(relative, spec.absoluteTolerance());
    }

    private String verdictJson(FlagGuard guard) {
        try {
            return views.writeValueAsString(GuardView.of(guard));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the verdict of " + guard.flagKey(), e);
        }
    }

    private String toJson(StageEvidence stage) {
        ObjectNode node = json.createObjectNode();
        ArrayNode ends = node.putArray("ends");
        ends.add(stage.ends()[0]).add(stage.ends()[1]);
        node.set("treatment", moments(stage.treatment()));
        node.set("control", moments(stage.control()));
        if (stage.populations() != null) {
            node.put("populations", stage.populations());
        }
        if (!stage.variants().isEmpty()) {
            ObjectNode variants = node.putObject("variants");
            stage.variants().forEach((name, treated) -> {
                ObjectNode v = variants.putObject(name);
                v.put("end", treated.end());
                v.set("moments", moments(treated.sums()));
            });
        }
        return node.toString();
    }

    private ObjectNode moments(Map<String, CohortMoments> sums) {
        ObjectNode node = json.createObjectNode();
        sums.forEach((metric, m) -> node.putArray(metric)
                .add(m.clients())
                .add(m.sumY())
                .add(m.sumX())
                .add(m.sumYY())
                .add(m.sumXX())
                .add(m.sumXY()));
        return node;
    }

    private StageEvidence fromJson(String flag, long stageVersion, String text) {
        try {
            JsonNode node = json.readTree(text);
            StageEvidence stage = StageEvidence.start(flag, stageVersion);
            stage.ends()[0] = node.path("ends").path(0).asLong();
            stage.ends()[1] = node.path("ends").path(1).asLong();
            read(node.path("treatment"), stage.treatment());
            read(node.path("control"), stage.control());
            if (node.path("populations").isBoolean()) {
                stage.told(node.path("populations").asBoolean());
            }
            for (Iterator<Map.Entry<String, JsonNode>> it =
                            node.path("variants").fields();
                    it.hasNext(); ) {
                Map.Entry<String, JsonNode> v = it.next();
                StageEvidence.Treated treated =
                        stage.variants().computeIfAbsent(v.getKey(), k -> new StageEvidence.Treated());
                treated.end(v.getValue().path("end").asLong());
                read(v.getValue().path("moments"), treated.sums());
            }
            return stage;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(
                    "stored guard evidence of " + flag + " is unreadable: " + e.getMessage(), e);
        }
    }

    private static void read(JsonNode node, Map<String, CohortMoments> into) {
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode v = e.getValue();
            into.put(
                    e.getKey(),
                    new CohortMoments(
                            v.path(0).asLong(),
                            v.path(1).asDouble(),
                            v.path(2).asDouble(),
                            v.path(3).asDouble(),
                            v.path(4).asDouble(),
                            v.path(5).asDouble()));
        }
    }
}
