package dev.rollguard.flag.service;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rollguard.flag.mapping.FlagMapper;
import dev.rollguard.schemas.event.Constraint;
import dev.rollguard.schemas.event.ConstraintOperator;
import dev.rollguard.schemas.event.FlagChangeType;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.event.FlagValueType;
import dev.rollguard.schemas.event.FlagVariant;
import dev.rollguard.schemas.event.GuardAction;
import dev.rollguard.schemas.event.GuardPolicy;
import dev.rollguard.schemas.event.TargetingRule;
import dev.rollguard.schemas.event.VariantWeight;
import dev.rollguard.schemas.targeting.EvaluationContext;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The tripwire of {@link EvaluationService#SEMANTICS_REVISION}: the answers to a fixed set of flags and contexts, as
 * recorded in {@code evaluation-answers/<revision>.txt} for the current revision. A change that answers them otherwise
 * fails here, and the bulk ETag would let providers keep the old answers on a 304 unless the revision is raised: raise
 * it and record the new answers under the new number (the file's diff shows what changed). {@code errorDetails} is
 * left out: rewording a message changes no decision a provider takes.
 */
class EvaluationAnswersTest {

    private static final Instant AT = Instant.parse("2026-12-01T00:00:00Z");

    private final FlagSnapshot snapshot = new FlagSnapshot(new ObjectMapper());
    private final EvaluationService evaluation = new EvaluationService(snapshot, new SimpleMeterRegistry());

    @Test
    void theAnswersAreTheOnesRecordedForTheSemanticsRevision() throws IOException {
        snapshot.applyAll(flags());
        List<String> answers = new ArrayList<>(answers("", snapshot.current(), contexts()));
        snapshot.apply(global());
        answers.addAll(answers(
                "global kill ", snapshot.current(), Map.of("u2", contexts().get("u2"))));

        String recorded = "evaluation-answers/" + EvaluationService.SEMANTICS_REVISION + ".txt";
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(recorded)) {
            assertThat(in)
                    .as(
                            "no answers recorded for semantics revision %d: record them in src/test/resources/%s",
                            EvaluationService.SEMANTICS_REVISION, recorded)
                    .isNotNull();
            List<String> expected = new String(in.readAllBytes(), StandardCharsets.UTF_8)
                    .lines()
                    .filter(line -> !line.startsWith("#"))
                    .toList();
            assertThat(answers)
                    .as("answers to unchanged flags and contexts changed: raise EvaluationService.SEMANTICS_REVISION"
                            + " (cached bulk answers are kept on a 304 otherwise) and record them under the new number")
                    .containsExactlyElementsOf(expected);
        }
    }

    private List<String> answers(String prefix, FlagSnapshot.State state, Map<String, EvaluationContext> contexts) {
        List<String> lines = new ArrayList<>();
        contexts.forEach((name, context) -> {
            for (EvaluationService.Result result : evaluation.evaluateAll(state, context)) {
                lines.add(prefix + name + " " + line(result));
            }
        });
        return lines;
    }

    private static String line(EvaluationService.Result result) {
        if (result instanceof EvaluationService.Success success) {
            return success.key() + ": " + success.reason() + " " + success.variant() + " " + success.value() + " "
                    + new TreeMap<>(success.metadata());
        }
        EvaluationService.Failure failure = (EvaluationService.Failure) result;
        return failure.key() + ": error " + failure.errorCode();
    }

    private static Map<String, EvaluationContext> contexts() {
        Map<String, EvaluationContext> contexts = new LinkedHashMap<>();
        contexts.put("no-key", EvaluationContext.of(null));
        contexts.put("qa", EvaluationContext.of("qa"));
        contexts.put("blocked", EvaluationContext.of("blocked"));
        for (int i = 1; i <= 8; i++) {
            contexts.put(
                    "u" + i,
                    EvaluationContext.of(
                            "user-" + i,
                            Map.of("plan", i % 2 == 0 ? "pro" : "free", "country", i % 3 == 0 ? "fr" : "de")));
        }
        return contexts;
    }

    private static List<FlagChangedEvent> flags() {
        return List.of(
                flag("bool-30", f -> f.setRolloutBasisPoints(3_000)),
                flag("bool-100", f -> f.setRolloutBasisPoints(10_000)),
                flag("bool-0", f -> f.setRolloutBasisPoints(0)),
                flag("bool-disabled", f -> f.setEnabled(false).setRolloutBasisPoints(10_000)),
                flag("bool-killed", f -> f.setKilled(true).setRolloutBasisPoints(10_000)),
                flag("bool-archived", f -> f.setArchived(true).setRolloutBasisPoints(10_000)),
                flag("lists", f -> f.setAllowList(List.of("qa"))
                        .setDenyList(List.of("blocked"))
                        .setRolloutBasisPoints(5_000)),
                flag("child", f -> f.setParentKey("bool-30").setRolloutBasisPoints(10_000)),
                flag("rule-variant", f -> f.setRolloutBasisPoints(0)
                        .setRules(List.of(
                                rule("pro", "plan", "pro").setVariant("on").build()))),
                flag("rule-share", f -> f.setRolloutBasisPoints(0)
                        .setRules(List.of(rule("france", "country", "fr")
                                .setRolloutBasisPoints(5_000)
                                .build()))),
                flag("string-weighted", f -> f.setValueType(FlagValueType.STRING)
                        .setVariants(List.of(
                                variant("red", "\"red\""),
                                variant("green", "\"green\""),
                                variant("blue", "\"blue\""),
                                variant("off", "\"none\"")))
                        .setTreatmentVariant("red")
                        .setVariantWeights(List.of(weight("red", 5_000), weight("green", 3_000), weight("blue", 2_000)))
                        .setRolloutBasisPoints(8_000)),
                flag("number", f -> f.setValueType(FlagValueType.NUMBER)
                        .setVariants(List.of(variant("on", "1.5"), variant("off", "0")))
                        .setRolloutBasisPoints(5_000)),
                flag("json-object", f -> f.setValueType(FlagValueType.JSON)
                        .setVariants(List.of(variant("on", "{\"items\":[\"a\"]}"), variant("off", "{\"items\":[]}")))
                        .setRolloutBasisPoints(5_000)),
                // Stored before arrays were refused (semantics revision 1 served the array).
                flag("json-array", f -> f.setValueType(FlagValueType.JSON)
                        .setVariants(List.of(variant("on", "[\"a\",\"b\"]"), variant("off", "{\"items\":[]}")))
                        .setRolloutBasisPoints(5_000)));
    }

    private static FlagChangedEvent flag(String key, Consumer<FlagChangedEvent.Builder> shape) {
        FlagChangedEvent.Builder builder = base(key)
                .setValueType(FlagValueType.BOOLEAN)
                .setVariants(List.of(variant("on", "true"), variant("off", "false")));
        shape.accept(builder);
        return builder.build();
    }

    private static FlagChangedEvent global() {
        return base(FlagMapper.GLOBAL_KEY)
                .setVersion(2)
                .setKilled(true)
                .setValueType(FlagValueType.BOOLEAN)
                .setVariants(List.of(variant("on", "true"), variant("off", "false")))
                .build();
    }

    private static FlagChangedEvent.Builder base(String key) {
        return FlagChangedEvent.newBuilder()
                .setEventId(UUID.nameUUIDFromBytes(key.getBytes(StandardCharsets.UTF_8))
                        .toString())
                .setFlagKey(key)
                .setVersion(1)
                .setChangeType(FlagChangeType.CREATED)
                .setChangedAt(AT)
                .setActor("test")
                .setEnabled(true)
                .setTreatmentVariant("on")
                .setOffVariant("off")
                .setGuardPolicy(
                        GuardPolicy.newBuilder().setAction(GuardAction.KILL).build());
    }

    private static TargetingRule.Builder rule(String id, String attribute, String value) {
        return TargetingRule.newBuilder()
                .setId(id)
                .setConstraints(List.of(Constraint.newBuilder()
                        .setAttribute(attribute)
                        .setOperator(ConstraintOperator.IN)
                        .setValues(List.of(value))
                        .build()));
    }

    private static FlagVariant variant(String name, String valueJson) {
        return FlagVariant.newBuilder().setName(name).setValueJson(valueJson).build();
    }

    private static VariantWeight weight(String variant, int weight) {
        return VariantWeight.newBuilder().setVariant(variant).setWeight(weight).build();
    }
}
