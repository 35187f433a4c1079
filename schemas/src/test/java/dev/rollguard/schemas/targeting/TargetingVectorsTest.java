package dev.rollguard.schemas.targeting;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rollguard.schemas.event.Constraint;
import dev.rollguard.schemas.event.ConstraintOperator;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.event.FlagVariant;
import dev.rollguard.schemas.event.Segment;
import dev.rollguard.schemas.event.TargetingRule;
import dev.rollguard.schemas.event.VariantWeight;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The published targeting test vectors ({@code targeting/test-vectors.json}), which every SDK must reproduce. */
class TargetingVectorsTest {

    private static final String VECTORS = "targeting/test-vectors.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<Named<JsonNode>> publishedCases() throws IOException {
        List<Named<JsonNode>> cases = new ArrayList<>();
        read().get("cases").forEach(c -> cases.add(Named.of(c.get("name").asText(), c)));
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("publishedCases")
    void reproducesThePublishedCase(JsonNode vector) throws IOException {
        Map<String, FlagChangedEvent> flags = flags(read());
        Map<String, Object> attributes =
                JSON.convertValue(vector.get("context"), new TypeReference<LinkedHashMap<String, Object>>() {});
        Object targetingKey = attributes.remove(EvaluationContext.TARGETING_KEY);
        EvaluationContext context = new EvaluationContext(targetingKey instanceof String key ? key : null, attributes);
        FlagChangedEvent flag = flags.get(vector.get("flag").asText());
        JsonNode expected = vector.get("expected");

        Evaluation result = FlagEvaluator.evaluate(
                flag, context, flags::get, vector.get("globalKill").asBoolean());

        assertThat(result.variant()).isEqualTo(expected.get("variant").asText());
        assertThat(result.reason().name()).isEqualTo(expected.get("reason").asText());
        assertThat(result.ruleId()).isEqualTo(text(expected.get("ruleId")));
        assertThat(result.errorCode()).isEqualTo(text(expected.get("errorCode")));
        assertThat(result.treated()).isEqualTo(!result.variant().equals(flag.getOffVariant()));
    }

    @Test
    void theVectorsCoverEveryReasonOperatorAndAWeightedSplit() throws IOException {
        JsonNode file = read();
        List<String> reasons = new ArrayList<>();
        List<String> variants = new ArrayList<>();
        file.get("cases").forEach(c -> {
            reasons.add(c.get("expected").get("reason").asText());
            variants.add(c.get("expected").get("variant").asText());
        });
        List<String> operators = new ArrayList<>();
        file.get("flags").forEach(f -> {
            f.get("segments").forEach(s -> s.get("constraints")
                    .forEach(c -> operators.add(c.get("operator").asText())));
            f.get("rules").forEach(r -> r.get("constraints")
                    .forEach(c -> operators.add(c.get("operator").asText())));
        });

        assertThat(reasons).contains("STATIC", "TARGETING_MATCH", "SPLIT", "DISABLED", "DEFAULT", "ERROR");
        assertThat(variants).contains("on", "off", "blue", "green");
        assertThat(operators)
                .contains(
                        "IN",
                        "NOT_IN",
                        "STR_ENDS_WITH",
                        "STR_CONTAINS",
                        "MATCHES",
                        "NUM_GTE",
                        "NUM_LT",
                        "SEMVER_GTE",
                        "DATE_AFTER");
        assertThat(file.get("flags")).allSatisfy(f -> assertThat(TargetingValidation.validate(flag(f)))
                .as("flag %s is valid", f.get("flagKey").asText())
                .isEmpty());
    }

    private static String text(JsonNode node) {
        return node == null || node.isNull() ? null : node.asText();
    }

    private static JsonNode read() throws IOException {
        try (InputStream in = TargetingVectorsTest.class.getClassLoader().getResourceAsStream(VECTORS)) {
            assertThat(in).as("class path resource %s", VECTORS).isNotNull();
            return JSON.readTree(in);
        }
    }

    private static Map<String, FlagChangedEvent> flags(JsonNode file) {
        Map<String, FlagChangedEvent> flags = new HashMap<>();
        file.get("flags").forEach(f -> flags.put(f.get("flagKey").asText(), flag(f)));
        return flags;
    }

    private static FlagChangedEvent flag(JsonNode f) {
        FlagChangedEvent flag = TargetingFixtures.flag(
                f.get("flagKey").asText(), f.get("rolloutBasisPoints").asInt());
        flag.setEnabled(f.get("enabled").asBoolean());
        flag.setKilled(f.get("killed").asBoolean());
        flag.setArchived(f.get("archived").asBoolean());
        flag.setParentKey(text(f.get("parentKey")));
        flag.setVariants(strings(f.get("variants")).stream()
                .map(name -> new FlagVariant(name, "\"" + name + "\""))
                .toList());
        flag.setTreatmentVariant(f.get("treatmentVariant").asText());
        flag.setOffVariant(f.get("offVariant").asText());
        flag.setAllowList(strings(f.get("allowList")));
        flag.setDenyList(strings(f.get("denyList")));
        List<Segment> segments = new ArrayList<>();
        f.get("segments")
                .forEach(s -> segments.add(new Segment(s.get("key").asText(), constraints(s.get("constraints")))));
        flag.setSegments(segments);
        List<TargetingRule> rules = new ArrayList<>();
        f.get("rules")
                .forEach(r -> rules.add(TargetingRule.newBuilder()
                        .setId(r.get("id").asText())
                        .setSegments(strings(r.get("segments")))
                        .setConstraints(constraints(r.get("constraints")))
                        .setVariant(text(r.get("variant")))
                        .setRolloutBasisPoints(r.get("rolloutBasisPoints").asInt())
                        .build()));
        flag.setRules(rules);
        List<VariantWeight> weights = new ArrayList<>();
        f.get("variantWeights")
                .forEach(w -> weights.add(new VariantWeight(
                        w.get("variant").asText(), w.get("weight").asInt())));
        flag.setVariantWeights(weights);
        return flag;
    }

    private static List<Constraint> constraints(JsonNode array) {
        List<Constraint> constraints = new ArrayList<>();
        array.forEach(c -> constraints.add(Constraint.newBuilder()
                .setAttribute(c.get("attribute").asText())
                .setOperator(ConstraintOperator.valueOf(c.get("operator").asText()))
                .setValues(strings(c.get("values")))
                .setNegate(c.get("negate").asBoolean())
                .setCaseInsensitive(c.get("caseInsensitive").asBoolean())
                .build()));
        return constraints;
    }

    private static List<String> strings(JsonNode array) {
        List<String> strings = new ArrayList<>();
        array.forEach(s -> strings.add(s.asText()));
        return strings;
    }
}
