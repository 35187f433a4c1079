package dev.rollguard.flag.mapping;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rollguard.flag.domain.FlagEntity;
import dev.rollguard.flag.domain.GlobalSwitchEntity;
import dev.rollguard.flag.domain.MinimumsMissed;
import dev.rollguard.flag.domain.Stage;
import dev.rollguard.flag.rest.FlagRequest;
import dev.rollguard.flag.rest.FlagResponse;
import dev.rollguard.flag.rest.GlobalSwitchResponse;
import dev.rollguard.schemas.bucketing.Bucketing;
import dev.rollguard.schemas.event.FlagChangeType;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.event.FlagValueType;
import dev.rollguard.schemas.event.FlagVariant;
import dev.rollguard.schemas.event.GuardAction;
import dev.rollguard.schemas.event.GuardPolicy;
import dev.rollguard.schemas.event.RolloutStage;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Converts between the stored flag, its API forms and its FlagChangedEvent. */
@ApplicationScoped
public class FlagMapper {

    /** Key under which the global kill switch travels on flags.changes; no valid flag key can take it. */
    public static final String GLOBAL_KEY = "*";

    private static final TypeReference<List<String>> STRINGS = new TypeReference<>() {};
    private static final TypeReference<List<Stage>> STAGES = new TypeReference<>() {};

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
                .setStages(stages)
                .setCurrentStage(flag.currentStage)
                .setPaused(flag.paused)
                .setGuardPolicy(new GuardPolicy(
                        GuardAction.valueOf(flag.guardAction), flag.guardDryRun, flag.guardCooldownSeconds))
                .build();
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
