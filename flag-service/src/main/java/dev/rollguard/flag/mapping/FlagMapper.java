package dev.rollguard.flag.mapping;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rollguard.flag.api.FlagRequest;
import dev.rollguard.flag.api.FlagResponse;
import dev.rollguard.flag.api.GlobalSwitchResponse;
import dev.rollguard.flag.api.SegmentResponse;
import dev.rollguard.flag.domain.Condition;
import dev.rollguard.flag.domain.FlagEntity;
import dev.rollguard.flag.domain.GlobalSwitchEntity;
import dev.rollguard.flag.domain.MinimumsMissed;
import dev.rollguard.flag.domain.Rule;
import dev.rollguard.flag.domain.SegmentEntity;
import dev.rollguard.flag.domain.Stage;
import dev.rollguard.flag.domain.Weight;
import dev.rollguard.schemas.bucketing.Bucketing;
import dev.rollguard.schemas.event.Constraint;
import dev.rollguard.schemas.event.FlagChangeType;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.event.FlagValueType;
import dev.rollguard.schemas.event.FlagVariant;
import dev.rollguard.schemas.event.GuardAction;
import dev.rollguard.schemas.event.GuardPolicy;
import dev.rollguard.schemas.event.RolloutStage;
import dev.rollguard.schemas.event.Segment;
import dev.rollguard.schemas.event.TargetingRule;
import dev.rollguard.schemas.event.VariantWeight;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

/** Converts between the stored flag, its API forms and its FlagChangedEvent. */
@ApplicationScoped
public class FlagMapper {

    /** Key under which the global kill switch travels on flags.changes; no valid flag key can take it. */
    public static final String GLOBAL_KEY = "*";

    private static final TypeReference<List<String>> STRINGS = new TypeReference<>() {};
    private static final TypeReference<List<Stage>> STAGES = new TypeReference<>() {};
    private static final TypeReference<List<Rule>> RULES = new TypeReference<>() {};
    private static final TypeReference<List<Weight>> WEIGHTS = new TypeReference<>() {};
    private static final TypeReference<List<Condition>> CONDITIONS = new TypeReference<>() {};

    private final ObjectMapper json;

    public FlagMapper(ObjectMapper json) {
        this.json = json;
    }

    public FlagResponse toResponse(FlagEntity flag) {
        List<FlagResponse.StageResponse> stages = stages(flag).stream()
                .map(s -> new FlagResponse.StageResponse(
                        s.name(),
                        Bucketing.percentage(s.basisPoints()),
                        s.minSoakSeconds(),
                        s.minClientsPerCohort(),
                        s.promotion(),
                        s.tolerancePercent()))
                .toList();
        return new FlagResponse(
                flag.key,
                flag.description,
                flag.owner,
                FlagValueType.valueOf(flag.valueType),
                flag.enabled,
                flag.killed,
                flag.killReason,
                flag.archived,
                flag.parentKey,
                strings(flag.allowList),
                strings(flag.denyList),
                Bucketing.percentage(flag.rolloutBasisPoints),
                variants(flag),
                flag.treatmentVariant,
                flag.offVariant,
                rules(flag).stream().map(FlagMapper::toResponse).toList(),
                weights(flag).stream()
                        .map(w -> new FlagResponse.WeightResponse(w.variant(), Bucketing.percentage(w.basisPoints())))
                        .toList(),
                stages,
                flag.currentStage,
                flag.stageEnteredAt,
                flag.currentStage == null ? null : flag.stageVersion,
                flag.paused,
                flag.pauseReason,
                flag.aborted,
                flag.abortReason,
                flag.abortedAtStage,
                new FlagResponse.MinimumsResponse(
                        flag.minimumsDeadlineSeconds, flag.minimumsExtensionSeconds, minimumsMissed(flag)),
                new FlagResponse.GuardPolicyResponse(
                        GuardAction.valueOf(flag.guardAction), flag.guardDryRun, flag.guardCooldownSeconds),
                flag.version,
                flag.createdAt,
                flag.updatedAt,
                flag.updatedBy);
    }

    /** The writable part of a stored flag: what a PATCH document is merged into. */
    public FlagRequest toRequest(FlagEntity flag) {
        List<FlagRequest.StageRequest> stages = stages(flag).stream()
                .map(s -> new FlagRequest.StageRequest(
                        s.name(),
                        BigDecimal.valueOf(s.basisPoints(), 2),
                        s.minSoakSeconds(),
                        s.minClientsPerCohort(),
                        s.promotion().json(),
                        s.tolerancePercent()))
                .toList();
        return new FlagRequest(
                flag.key,
                flag.description,
                flag.owner,
                FlagValueType.valueOf(flag.valueType),
                flag.enabled,
                flag.parentKey,
                strings(flag.allowList),
                strings(flag.denyList),
                BigDecimal.valueOf(flag.rolloutBasisPoints, 2),
                variants(flag),
                flag.treatmentVariant,
                flag.offVariant,
                rules(flag).stream().map(FlagMapper::toRequest).toList(),
                weights(flag).stream()
                        .map(w -> new FlagRequest.WeightRequest(w.variant(), BigDecimal.valueOf(w.basisPoints(), 2)))
                        .toList(),
                stages,
                flag.currentStage,
                new FlagRequest.GuardPolicyRequest(
                        GuardAction.valueOf(flag.guardAction), flag.guardDryRun, flag.guardCooldownSeconds),
                new FlagRequest.MinimumsRequest(
                        flag.minimumsDeadlineSeconds,
                        flag.minimumsExtensionSeconds,
                        minimumsMissed(flag).json()));
    }

    public GlobalSwitchResponse toResponse(GlobalSwitchEntity global) {
        return new GlobalSwitchResponse(
                global.killed, global.reason, global.version, global.updatedAt, global.updatedBy);
    }

    public static MinimumsMissed minimumsMissed(FlagEntity flag) {
        return MinimumsMissed.of(flag.minimumsMissedAction);
    }

    /**
     * The full state of the flag after a change, as published on flags.changes. An aborted rollout is published
     * disabled, so every reader serves the off value without knowing about aborts.
     */
    public FlagChangedEvent toEvent(
            FlagEntity flag, FlagChangeType type, UUID eventId, Instant at, String actor, String reason) {
        List<FlagVariant> variants = new ArrayList<>();
        variants(flag).forEach((name, value) -> variants.add(new FlagVariant(name, value.toString())));
        List<RolloutStage> stages = stages(flag).stream()
                .map(s -> new RolloutStage(s.name(), s.basisPoints(), s.minSoakSeconds()))
                .toList();
        return FlagChangedEvent.newBuilder()
                .setEventId(eventId.toString())
                .setFlagKey(flag.key)
                .setVersion(flag.version)
                .setChangeType(type)
                .setChangedAt(at)
                .setActor(actor)
                .setReason(reason)
                .setArchived(flag.archived)
                .setEnabled(flag.enabled && !flag.aborted)
                .setKilled(flag.killed)
                .setKillReason(flag.killReason)
                .setParentKey(flag.parentKey)
                .setValueType(FlagValueType.valueOf(flag.valueType))
                .setVariants(variants)
                .setTreatmentVariant(flag.treatmentVariant)
                .setOffVariant(flag.offVariant)
                .setAllowList(strings(flag.allowList))
                .setDenyList(strings(flag.denyList))
                .setRolloutBasisPoints(flag.rolloutBasisPoints)
                .setRules(rules(flag).stream().map(FlagMapper::toEvent).toList())
                .setVariantWeights(weights(flag).stream()
                        .map(w -> new VariantWeight(w.variant(), w.basisPoints()))
                        .toList())
                .setStages(stages)
                .setCurrentStage(flag.currentStage)
                .setPaused(flag.paused)
                .setGuardPolicy(new GuardPolicy(
                        GuardAction.valueOf(flag.guardAction), flag.guardDryRun, flag.guardCooldownSeconds))
                .build();
    }

    /**
     * Copies into {@code event} the definitions of the segments its rules reference, in the order they are first
     * referenced, so that every evaluator holds them. A reference to a segment not in {@code segments} is left out
     * (validation names it).
     */
    public FlagChangedEvent withSegments(FlagChangedEvent event, Map<String, SegmentEntity> segments) {
        List<Segment> copied = new ArrayList<>();
        for (String key : segmentKeys(event)) {
            SegmentEntity segment = segments.get(key);
            if (segment != null) {
                copied.add(new Segment(
                        segment.key,
                        conditions(segment).stream().map(FlagMapper::toEvent).toList()));
            }
        }
        event.setSegments(copied);
        return event;
    }

    /** The keys of the segments the event's rules reference, each once, in the order they are first referenced. */
    public static Set<String> segmentKeys(FlagChangedEvent event) {
        Set<String> keys = new LinkedHashSet<>();
        event.getRules().forEach(rule -> keys.addAll(rule.getSegments()));
        return keys;
    }

    /** The keys of the segments a stored flag's rules reference. */
    public Set<String> segmentKeys(FlagEntity flag) {
        Set<String> keys = new LinkedHashSet<>();
        rules(flag).forEach(rule -> keys.addAll(rule.segments()));
        return keys;
    }

    public SegmentResponse toResponse(SegmentEntity segment, List<String> usedBy) {
        return new SegmentResponse(
                segment.key,
                segment.description,
                conditions(segment).stream().map(FlagMapper::toResponse).toList(),
                usedBy,
                segment.version,
                segment.createdAt,
                segment.updatedAt,
                segment.updatedBy);
    }

    public static Rule toRule(FlagRequest.RuleRequest r) {
        return new Rule(
                r.id(),
                r.description(),
                r.segments(),
                r.constraints() == null
                        ? List.of()
                        : r.constraints().stream().map(FlagMapper::toCondition).toList(),
                r.variant(),
                r.rolloutPercentage() == null
                        ? Bucketing.BUCKETS
                        : r.rolloutPercentage().movePointRight(2).intValueExact());
    }

    public static Condition toCondition(FlagRequest.ConstraintRequest c) {
        return new Condition(
                c.attribute(),
                c.operator(),
                c.values(),
                Boolean.TRUE.equals(c.negate()),
                Boolean.TRUE.equals(c.caseInsensitive()));
    }

    public static Weight toWeight(FlagRequest.WeightRequest w) {
        return new Weight(w.variant(), w.weight().movePointRight(2).intValueExact());
    }

    // The event's lists are plain ArrayLists, as decoded events' are: readers may ask them contains(null).
    public static TargetingRule toEvent(Rule r) {
        return new TargetingRule(
                r.id(),
                r.description(),
                new ArrayList<>(r.segments()),
                r.constraints().stream().map(FlagMapper::toEvent).collect(Collectors.toCollection(ArrayList::new)),
                r.variant(),
                r.basisPoints());
    }

    public static VariantWeight toEvent(Weight w) {
        return new VariantWeight(w.variant(), w.basisPoints());
    }

    public static Constraint toEvent(Condition c) {
        return new Constraint(
                c.attribute(), c.operator(), new ArrayList<>(c.values()), c.negate(), c.caseInsensitive());
    }

    private static FlagResponse.RuleResponse toResponse(Rule r) {
        return new FlagResponse.RuleResponse(
                r.id(),
                r.description(),
                r.segments(),
                r.constraints().stream().map(FlagMapper::toResponse).toList(),
                r.variant(),
                Bucketing.percentage(r.basisPoints()));
    }

    private static FlagResponse.ConstraintResponse toResponse(Condition c) {
        return new FlagResponse.ConstraintResponse(
                c.attribute(), c.operator(), c.values(), c.negate(), c.caseInsensitive());
    }

    private static FlagRequest.RuleRequest toRequest(Rule r) {
        return new FlagRequest.RuleRequest(
                r.id(),
                r.description(),
                r.segments(),
                r.constraints().stream().map(FlagMapper::toRequest).toList(),
                r.variant(),
                BigDecimal.valueOf(r.basisPoints(), 2));
    }

    private static FlagRequest.ConstraintRequest toRequest(Condition c) {
        return new FlagRequest.ConstraintRequest(
                c.attribute(), c.operator(), c.values(), c.negate(), c.caseInsensitive());
    }

    /**
     * The global kill switch as a FlagChangedEvent under key {@value #GLOBAL_KEY}: {@code killed} and {@code
     * killReason} carry the switch; the flag-shaped fields hold fixed values that no evaluation reads.
     */
    public FlagChangedEvent toEvent(GlobalSwitchEntity global, UUID eventId, String actor) {
        return FlagChangedEvent.newBuilder()
                .setEventId(eventId.toString())
                .setFlagKey(GLOBAL_KEY)
                .setVersion(global.version)
                .setChangeType(global.killed ? FlagChangeType.GLOBAL_KILLED : FlagChangeType.GLOBAL_UNKILLED)
                .setChangedAt(global.updatedAt)
                .setActor(actor)
                .setReason(global.reason)
                .setEnabled(true)
                .setKilled(global.killed)
                .setKillReason(global.killed ? global.reason : null)
                .setValueType(FlagValueType.BOOLEAN)
                .setVariants(List.of(new FlagVariant("on", "true"), new FlagVariant("off", "false")))
                .setTreatmentVariant("on")
                .setOffVariant("off")
                .setGuardPolicy(new GuardPolicy(GuardAction.NOTIFY_ONLY, false, 0L))
                .build();
    }

    public String toJson(Object value) {
        try {
            return json.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    public List<String> strings(String jsonArray) {
        return read(jsonArray, STRINGS);
    }

    public List<Stage> stages(FlagEntity flag) {
        return read(flag.stages, STAGES);
    }

    public List<Rule> rules(FlagEntity flag) {
        return flag.rules == null ? List.of() : read(flag.rules, RULES);
    }

    public List<Weight> weights(FlagEntity flag) {
        return flag.variantWeights == null ? List.of() : read(flag.variantWeights, WEIGHTS);
    }

    public List<Condition> conditions(SegmentEntity segment) {
        return read(segment.constraints, CONDITIONS);
    }

    /** Variant name to value, in the order they were defined. */
    public Map<String, JsonNode> variants(FlagEntity flag) {
        try {
            Map<String, JsonNode> result = new LinkedHashMap<>();
            json.readTree(flag.variants).properties().forEach(e -> result.put(e.getKey(), e.getValue()));
            return result;
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private <T> T read(String text, TypeReference<T> type) {
        try {
            return json.readValue(text, type);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
