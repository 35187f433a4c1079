package dev.rollguard.flag.service;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.targeting.Evaluation;
import dev.rollguard.schemas.targeting.EvaluationContext;
import dev.rollguard.schemas.targeting.EvaluationReason;
import dev.rollguard.schemas.targeting.FlagEvaluator;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Evaluates flags against the in-memory snapshot with the shared {@link FlagEvaluator}, producing OFREP results.
 * Never touches the database.
 */
@Startup
@ApplicationScoped
public class EvaluationService {

    public static final String FLAG_NOT_FOUND = "FLAG_NOT_FOUND";

    /**
     * How this release answers, as a number the bulk ETag starts with: the flag versions and the context do not
     * change when a release answers them otherwise, and a provider holding the previous release's answer would keep
     * it on a 304. Raise it in every change that gives another answer (value, variant, reason, error, metadata) to
     * the same flags and context; {@code EvaluationAnswersTest} fails until it is raised and the new answers are
     * recorded. 1 (the tag had no such number): a JSON flag's array variant was served; 2: it is answered
     * {@code GENERAL}.
     */
    public static final int SEMANTICS_REVISION = 2;

    private final FlagSnapshot snapshot;
    private final Map<EvaluationReason, Counter> evaluations = new EnumMap<>(EvaluationReason.class);
    private final Counter notFound;

    public EvaluationService(FlagSnapshot snapshot, MeterRegistry registry) {
        this.snapshot = snapshot;
        for (EvaluationReason reason : EvaluationReason.values()) {
            evaluations.put(
                    reason,
                    Counter.builder("rollguard.evaluations")
                            .description("Flag evaluations served, by OpenFeature reason")
                            .tag("reason", reason.name())
                            .register(registry));
        }
        this.notFound = Counter.builder("rollguard.evaluations")
                .description("Flag evaluations served, by OpenFeature reason")
                .tag("reason", FLAG_NOT_FOUND)
                .register(registry);
    }

    /** An OFREP evaluation result: {@link Success} or {@link Failure}. */
    public sealed interface Result permits Success, Failure {
        String key();
    }

    /** OFREP evaluationSuccess. */
    public record Success(String key, JsonNode value, String reason, String variant, Map<String, Object> metadata)
            implements Result {}

    /** OFREP evaluationFailure (and flagNotFound). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Failure(String key, String errorCode, String errorDetails) implements Result {}

    /**
     * Why a variant holding a JSON array is not served. OFREP's value is a boolean, a string, a number or an object
     * (its objectFlag), never an array, and OpenFeature's object evaluation expects a structure: the flag-service
     * refuses array variants on create and update, and a flag that holds one from before that rule answers
     * {@code GENERAL}, so the application gets its code default rather than a value it cannot read.
     */
    private static String arrayValue(String key, String variant) {
        return "flag '" + key + "' serves variant '" + variant + "', a JSON array: OFREP serves JSON flags as objects;"
                + " edit the variant into an object, such as {\"items\": [...]}";
    }

    /** Evaluates one flag of {@code state} for {@code targetingKey} alone. */
    public Result evaluate(FlagSnapshot.State state, String key, String targetingKey) {
        return evaluate(state, key, EvaluationContext.of(targetingKey));
    }

    /** Evaluates one flag of {@code state} for {@code context}. */
    public Result evaluate(FlagSnapshot.State state, String key, EvaluationContext context) {
        FlagChangedEvent flag = state.flags().get(key);
        if (flag == null) {
            notFound.increment();
            return new Failure(key, FLAG_NOT_FOUND, "flag '" + key + "' does not exist");
        }
        return toResult(state, flag, context);
    }

    /** Evaluates every flag that is not archived, in key order. */
    public List<Result> evaluateAll(FlagSnapshot.State state, EvaluationContext context) {
        List<Result> results = new ArrayList<>(state.served().size());
        for (FlagChangedEvent flag : state.served()) {
            results.add(toResult(state, flag, context));
        }
        return results;
    }

    public FlagSnapshot.State state() {
        return snapshot.current();
    }

    /** The first snapshot state {@code ready} accepts, or after {@code timeout} the one held then. */
    public Uni<FlagSnapshot.State> awaitState(Predicate<FlagSnapshot.State> ready, Duration timeout) {
        return snapshot.awaitState(ready, timeout);
    }

    private Result toResult(FlagSnapshot.State state, FlagChangedEvent flag, EvaluationContext context) {
        Evaluation evaluation = FlagEvaluator.evaluate(flag, context, state.flags()::get, state.globalKill());
        String key = flag.getFlagKey();
        if (evaluation.reason() == EvaluationReason.ERROR) {
            evaluations.get(EvaluationReason.ERROR).increment();
            String details = Evaluation.TARGETING_KEY_MISSING.equals(evaluation.errorCode())
                    ? "flag '" + key + "' is rolled out by percentage: the context needs a targetingKey"
                    : "flag '" + key + "' cannot be evaluated: its prerequisite chain is broken";
            return new Failure(key, evaluation.errorCode(), details);
        }
        JsonNode value = state.value(key, evaluation.variant());
        if (value.isArray()) {
            evaluations.get(EvaluationReason.ERROR).increment();
            return new Failure(key, Evaluation.GENERAL, arrayValue(key, evaluation.variant()));
        }
        evaluations.get(evaluation.reason()).increment();
        return new Success(
                key,
                value,
                evaluation.reason().name(),
                evaluation.variant(),
                metadata(flag.getVersion(), evaluation.ruleId()));
    }

    /**
     * A success's flag metadata, {@code version} and then {@code ruleId} when a rule decided: in that order in every
     * answer ({@code Map.of} iterates in an order that changes from one JVM start to the next).
     */
    private static Map<String, Object> metadata(long version, String ruleId) {
        Map<String, Object> metadata = new LinkedHashMap<>(4);
        metadata.put("version", version);
        if (ruleId != null) {
            metadata.put("ruleId", ruleId);
        }
        return Collections.unmodifiableMap(metadata);
    }
}
