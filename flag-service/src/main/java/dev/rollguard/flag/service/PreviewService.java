package dev.rollguard.flag.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.rollguard.flag.api.FiniteNumbers;
import dev.rollguard.flag.api.PreviewRequest;
import dev.rollguard.flag.api.PreviewResponse;
import dev.rollguard.flag.mapping.FlagMapper;
import dev.rollguard.flag.repository.FlagRepository;
import dev.rollguard.flag.repository.SegmentRepository;
import dev.rollguard.schemas.event.FlagChangeType;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.targeting.Evaluation;
import dev.rollguard.schemas.targeting.EvaluationContext;
import dev.rollguard.schemas.targeting.FlagEvaluator;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * What a sample context would be served by a flag as stored, or with draft rules and weights in place of the stored
 * ones: the same evaluator as OFREP, and nothing is saved. Prerequisites and the global kill switch are read from the
 * snapshot that evaluation serves.
 */
@ApplicationScoped
public class PreviewService {

    private final FlagRepository flags;
    private final SegmentRepository segments;
    private final FlagMapper mapper;
    private final FlagSnapshot snapshot;

    public PreviewService(FlagRepository flags, SegmentRepository segments, FlagMapper mapper, FlagSnapshot snapshot) {
        this.flags = flags;
        this.segments = segments;
        this.mapper = mapper;
        this.snapshot = snapshot;
    }

    public Uni<PreviewResponse> preview(String key, PreviewRequest request) {
        EvaluationContext context = context(request.context());
        boolean draft = request.rules() != null || request.variantWeights() != null;
        return Panache.withSession(() -> flags.findById(key).chain(flag -> {
            if (flag == null) {
                throw FlagErrors.notFound(key);
            }
            FlagChangedEvent event =
                    mapper.toEvent(flag, FlagChangeType.OTHER, UUID.randomUUID(), flag.updatedAt, flag.updatedBy, null);
            if (request.rules() != null) {
                event.setRules(request.rules().stream()
                        .map(FlagMapper::toRule)
                        .map(FlagMapper::toEvent)
                        .toList());
            }
            if (request.variantWeights() != null) {
                event.setVariantWeights(request.variantWeights().stream()
                        .map(FlagMapper::toWeight)
                        .map(FlagMapper::toEvent)
                        .toList());
            }
            return segments.byKeys(FlagMapper.segmentKeys(event), false).map(found -> {
                mapper.withSegments(event, found);
                if (draft) {
                    Targeting.check(event);
                }
                FlagSnapshot.State state = snapshot.current();
                Evaluation evaluation = FlagEvaluator.evaluate(event, context, state.flags()::get, state.globalKill());
                JsonNode value = mapper.variants(flag).get(evaluation.variant());
                return new PreviewResponse(
                        evaluation.variant(),
                        value == null ? NullNode.getInstance() : value,
                        evaluation.reason().name(),
                        evaluation.ruleId(),
                        evaluation.treated());
            });
        }));
    }

    /** The sample context as OFREP reads one: a string targetingKey, strings, numbers and booleans. */
    static EvaluationContext context(Map<String, JsonNode> sample) {
        String targetingKey = null;
        Map<String, Object> attributes = new HashMap<>();
        for (Map.Entry<String, JsonNode> member : sample.entrySet()) {
            JsonNode value = member.getValue();
            String field = "context." + member.getKey();
            if (value == null || value.isNull()) {
                continue;
            }
            if (EvaluationContext.TARGETING_KEY.equals(member.getKey())) {
                if (!value.isTextual()) {
                    throw FlagErrors.invalid(field, "must be a string");
                }
                targetingKey = value.textValue();
            } else if (value.isTextual()) {
                attributes.put(member.getKey(), value.textValue());
            } else if (value.isNumber()) {
                if (FiniteNumbers.outOfRange(value) != null) {
                    throw FlagErrors.invalid(field, FiniteNumbers.MESSAGE);
                }
                attributes.put(member.getKey(), value.numberValue());
            } else if (value.isBoolean()) {
                attributes.put(member.getKey(), value.booleanValue());
            } else {
                throw FlagErrors.invalid(field, "must be a string, a number or a boolean");
            }
        }
        return EvaluationContext.of(targetingKey, attributes);
    }
}
