package dev.rollguard.flag.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import dev.rollguard.flag.api.FiniteNumbers;
import dev.rollguard.flag.api.FlagRequest;
import dev.rollguard.flag.domain.FlagEntity;
import dev.rollguard.flag.domain.MinimumsMissed;
import dev.rollguard.flag.domain.Promotion;
import dev.rollguard.flag.domain.Stage;
import dev.rollguard.flag.mapping.FlagMapper;
import dev.rollguard.http.error.ApiException;
import dev.rollguard.schemas.event.FlagValueType;
import dev.rollguard.schemas.event.GuardAction;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The rules a flag definition must follow beyond its field constraints (variants matching the type, treatment and
 * off variants defined, stage index in range), and how a valid definition is written onto the stored flag.
 */
final class FlagRules {

    static final String DEFAULT_TREATMENT = "on";
    static final String DEFAULT_OFF = "off";
    static final long DEFAULT_COOLDOWN_SECONDS = 300;
    static final long DEFAULT_MINIMUMS_DEADLINE_SECONDS = 86_400;

    /**
     * The plan of a flag created without one: the allow-listed internal users, then 10 %, 50 % and everyone, an hour
     * at least in each partial stage, every step promoted by an operator.
     */
    static final List<Stage> DEFAULT_PLAN = List.of(
            new Stage("internal", 0, 3600, 0, Promotion.MANUAL, null),
            new Stage("10%", 1000, 3600, 100, Promotion.MANUAL, null),
            new Stage("50%", 5000, 3600, 100, Promotion.MANUAL, null),
            new Stage("100%", 10000, 0, 0, Promotion.MANUAL, null));

    /**
     * How Jackson wrote a number beyond a double's range, which a NUMBER variant stored before such numbers were
     * refused holds as a string; it may stay unchanged, as an array may in a JSON flag.
     */
    private static final Set<String> NON_FINITE = Set.of("Infinity", "-Infinity", "NaN");

    private FlagRules() {}

    /**
     * Writes {@code request} onto {@code flag} (its key is already set), validating it first.
     *
     * @return whether the flag enters its current stage: another stage, or the same one at another share (an edit of its
     *     percentage in {@code stages}), which serves a new share and so starts a new soak; the caller records when
     */
    static boolean apply(FlagRequest request, FlagEntity flag, FlagMapper mapper) {
        FlagValueType type = request.type() == null ? FlagValueType.BOOLEAN : request.type();
        Map<String, JsonNode> variants = request.variants();
        if (variants == null || variants.isEmpty()) {
            if (type != FlagValueType.BOOLEAN) {
                throw FlagErrors.invalid("variants", "must define the values of a " + type + " flag");
            }
            variants = new LinkedHashMap<>();
            variants.put(DEFAULT_TREATMENT, BooleanNode.TRUE);
            variants.put(DEFAULT_OFF, BooleanNode.FALSE);
        }
        // What a value may keep unchanged of a release that accepted it: only a flag of the same type's.
        Map<String, JsonNode> stored =
                flag.variants == null || !type.name().equals(flag.valueType) ? Map.of() : mapper.variants(flag);
        variants.forEach((name, value) -> checkValue(type, name, value, stored.get(name)));
        String treatment = request.treatmentVariant() == null ? DEFAULT_TREATMENT : request.treatmentVariant();
        String off = request.offVariant() == null ? DEFAULT_OFF : request.offVariant();
        if (!variants.containsKey(treatment)) {
            throw FlagErrors.invalid("treatmentVariant", "must name one of the variants " + variants.keySet());
        }
        if (!variants.containsKey(off)) {
            throw FlagErrors.invalid("offVariant", "must name one of the variants " + variants.keySet());
        }
        if (request.key().equals(request.parent())) {
            throw FlagErrors.invalid("parent", "must not be the flag itself");
        }
        List<String> allow = request.allowList() == null ? List.of() : List.copyOf(new HashSet<>(request.allowList()));
        List<String> deny = request.denyList() == null ? List.of() : List.copyOf(new HashSet<>(request.denyList()));
        List<Stage> stages = request.stages() == null ? DEFAULT_PLAN : plan(request.stages());
        FlagRequest.MinimumsRequest minimums = request.onMinimumsNotMet();
        Integer stage = request.currentStage();
        if (stage != null && stage >= stages.size()) {
            throw FlagErrors.invalid("currentStage", "must be an index into stages (0.." + (stages.size() - 1) + ")");
        }
        int basisPoints = stage != null
                ? stages.get(stage).basisPoints()
                : request.rolloutPercentage() == null ? 0 : basisPoints(request.rolloutPercentage());

        boolean stageChanged =
                !Objects.equals(flag.currentStage, stage) || (stage != null && basisPoints != flag.rolloutBasisPoints);
        flag.description = request.description();
        flag.owner = request.owner();
        flag.valueType = type.name();
        flag.enabled = Boolean.TRUE.equals(request.enabled());
        flag.parentKey = request.parent();
        flag.allowList = mapper.toJson(allow.stream().sorted().toList());
        flag.denyList = mapper.toJson(deny.stream().sorted().toList());
        flag.rolloutBasisPoints = basisPoints;
        flag.variants = mapper.toJson(variants);
        flag.treatmentVariant = treatment;
        flag.offVariant = off;
        flag.rules = mapper.toJson(
                request.rules() == null
                        ? List.of()
                        : request.rules().stream().map(FlagMapper::toRule).toList());
        flag.variantWeights = mapper.toJson(
                request.variantWeights() == null
                        ? List.of()
                        : request.variantWeights().stream()
                                .map(FlagMapper::toWeight)
                                .toList());
        flag.stages = mapper.toJson(stages);
        flag.currentStage = stage;
        FlagRequest.GuardPolicyRequest guard = request.guardPolicy();
        flag.guardAction = (guard == null || guard.action() == null ? GuardAction.KILL : guard.action()).name();
        flag.guardDryRun = guard != null && Boolean.TRUE.equals(guard.dryRun());
        flag.guardCooldownSeconds =
                guard == null || guard.cooldownSeconds() == null ? DEFAULT_COOLDOWN_SECONDS : guard.cooldownSeconds();
        flag.minimumsDeadlineSeconds = minimums == null || minimums.deadlineSeconds() == null
                ? DEFAULT_MINIMUMS_DEADLINE_SECONDS
                : minimums.deadlineSeconds();
        flag.minimumsExtensionSeconds = minimums == null || minimums.extensionSeconds() == null
                ? flag.minimumsDeadlineSeconds
                : minimums.extensionSeconds();
        flag.minimumsMissedAction = (minimums == null || minimums.then() == null
                        ? MinimumsMissed.HOLD
                        : MinimumsMissed.of(minimums.then()))
                .json();
        return stageChanged;
    }

    /**
     * Refuses an edit of {@code stored} that the rollout controls would refuse, or that would change nothing: a move to
     * another stage is a stage {@code set} (refused for an aborted flag, which only a retry takes back), and while a
     * stage is set it sets the share, so a {@code rolloutPercentage} other than the stage's is refused rather than
     * ignored.
     */
    static void checkEdit(FlagEntity stored, FlagRequest edited) {
        Integer stage = edited.currentStage();
        if (stage != null && !stage.equals(stored.currentStage)) {
            RolloutControls.refuseSet(stored);
        }
        if (stage == null) {
            return;
        }
        int requested = edited.rolloutPercentage() == null ? 0 : basisPoints(edited.rolloutPercentage());
        List<Stage> stages = edited.stages() == null ? DEFAULT_PLAN : plan(edited.stages());
        if (requested != stored.rolloutBasisPoints) {
            requireStageShare(
                    stored.key,
                    stages,
                    stage,
                    requested,
                    "move along the plan with POST /api/flags/" + stored.key + "/stage or /rollout/promote,"
                            + " or take the flag off its plan (\"stages\": [], \"currentStage\": null) to set"
                            + " rolloutPercentage by hand");
        }
    }

    /**
     * Refuses a new flag whose {@code rolloutPercentage} is not the share of its {@code currentStage}, as an edit is
     * refused ({@link #checkEdit}): the stage would set the share, and the one asked for would be dropped unsaid. A
     * create that leaves the share out takes the stage's.
     */
    static void checkCreate(FlagRequest created) {
        if (created.currentStage() != null && created.rolloutPercentage() != null) {
            requireStageShare(
                    created.key(),
                    created.stages() == null ? DEFAULT_PLAN : plan(created.stages()),
                    created.currentStage(),
                    basisPoints(created.rolloutPercentage()),
                    "leave rolloutPercentage out (the stage sets it), or create the flag off a plan (\"stages\": []"
                            + " without currentStage) to set rolloutPercentage by hand");
        }
    }

    /**
     * 409 {@code SHARE_SET_BY_STAGE} when {@code requested} basis points are not the share of {@code stage} of
     * {@code stages}; a stage index out of range is left to {@link #apply}, which answers it as a validation error.
     */
    private static void requireStageShare(String key, List<Stage> stages, int stage, int requested, String remedy) {
        if (stage >= stages.size()) {
            return;
        }
        Stage current = stages.get(stage);
        if (requested != current.basisPoints()) {
            throw ApiException.conflict(
                    "SHARE_SET_BY_STAGE",
                    "the rollout of flag '" + key + "' is set by its stage '" + current.name() + "' ("
                            + percent(current.basisPoints()) + " %), not by rolloutPercentage ("
                            + percent(requested) + " %): " + remedy);
        }
    }

    private static String percent(int basisPoints) {
        return BigDecimal.valueOf(basisPoints, 2).stripTrailingZeros().toPlainString();
    }

    /**
     * The stages of a plan as requested, checked: distinct names, and each stage's share above the one before, so
     * that promoting only ever adds users.
     */
    static List<Stage> plan(List<FlagRequest.StageRequest> requested) {
        List<Stage> stages = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < requested.size(); i++) {
            FlagRequest.StageRequest s = requested.get(i);
            if (!names.add(s.name())) {
                throw FlagErrors.invalid("stages[" + i + "].name", "repeats the stage name '" + s.name() + "'");
            }
            Stage stage = new Stage(
                    s.name(),
                    basisPoints(s.percentage()),
                    s.minSoakSeconds() == null ? 0 : s.minSoakSeconds(),
                    s.minClientsPerCohort() == null ? 0 : s.minClientsPerCohort(),
                    s.promotion() == null ? Promotion.MANUAL : Promotion.of(s.promotion()),
                    s.tolerancePercent());
            if (i > 0 && stage.basisPoints() <= stages.get(i - 1).basisPoints()) {
                throw FlagErrors.invalid(
                        "stages[" + i + "].percentage",
                        "must be above the previous stage's "
                                + BigDecimal.valueOf(stages.get(i - 1).basisPoints(), 2) + " %: each stage adds users");
            }
            stages.add(stage);
        }
        return List.copyOf(stages);
    }

    /** Moves the flag to stage {@code index} of its plan, taking that stage's share. */
    static void enterStage(FlagEntity flag, List<Stage> stages, int index, Instant now) {
        flag.currentStage = index;
        flag.rolloutBasisPoints = stages.get(index).basisPoints();
        flag.stageEnteredAt = now;
        flag.stageVersion = flag.version + 1;
    }

    private static int basisPoints(BigDecimal percentage) {
        return percentage.movePointRight(2).intValueExact();
    }

    /**
     * Refuses a variant value of another JSON type than the flag's. A JSON flag's values are objects: OFREP serves them
     * as its objectFlag, whose value is an object, and OpenFeature's object evaluation reads a structure. A variant that
     * held an array before that rule may keep it unchanged, so a flag stored then can still be edited in its other
     * fields; OFREP answers it {@code GENERAL} until the variant is an object ({@link EvaluationService}). Likewise a
     * NUMBER variant stored as {@code "Infinity"} (a number beyond a double's range, before those were refused) may
     * stay unchanged; no value may hold such a number now ({@link FiniteNumbers}).
     */
    private static void checkValue(FlagValueType type, String name, JsonNode value, JsonNode stored) {
        String outOfRange = FiniteNumbers.outOfRange(value);
        if (outOfRange != null) {
            throw FlagErrors.invalid("variants." + name + outOfRange, FiniteNumbers.MESSAGE);
        }
        boolean ok =
                switch (type) {
                    case BOOLEAN -> value.isBoolean();
                    case STRING -> value.isTextual();
                    case NUMBER ->
                        value.isNumber()
                                || (value.isTextual()
                                        && value.equals(stored)
                                        && NON_FINITE.contains(value.textValue()));
                    case JSON -> value.isObject() || (value.isArray() && value.equals(stored));
                };
        if (!ok) {
            throw FlagErrors.invalid(
                    "variants." + name,
                    type == FlagValueType.JSON
                            ? "must be a JSON object: OFREP serves a JSON flag as an object (an array can be a"
                                    + " member of one, such as {\"items\": [...]})"
                            : "must be a " + type.name().toLowerCase() + " value");
        }
    }
}
