package dev.rollguard.flag;

import static dev.rollguard.flag.Api.admin;
import static dev.rollguard.flag.Api.client;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollguard.flag.mapping.FlagMapper;
import dev.rollguard.flag.service.EvaluationService;
import dev.rollguard.flag.service.FlagSnapshot;
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
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The tripwire of {@link EvaluationService#SEMANTICS_REVISION}: the answers to a fixed set of flags and contexts, as
 * recorded in {@code src/test/resources/evaluation-answers/<revision>.txt} for the current revision. A change that
 * answers them otherwise fails here, and the bulk ETag would let providers keep the old answers on a 304 unless the
 * revision is raised. The recording has two parts:
 *
 * <ul>
 *   <li>{@code <context> <flag>: ...} lines: what {@link EvaluationService} decides (reason, variant, value, metadata,
 *       error code) for 14 flags and 11 contexts, then for one of them with the global kill switch on, on a snapshot
 *       of its own (the lines first recorded for revision 2);
 *   <li>{@code ofrep ...} lines: the JSON the running service answers over OFREP, single ({@code single <status>
 *       <body>}) and bulk (the flag's item of {@code flags}, or {@code left out}), for flags created through the admin
 *       API in the real database (one with an array variant written as an earlier release stored it), each context
 *       sent as the body its {@code ofrep context} line shows, then once more for one context with the global kill
 *       switch on. The flags take every decision of the evaluation order (global, parent and flag kill switches,
 *       disabled, archived, deny- and allow-lists, rules with a variant, with a share of 0, 50 and 100 % and with
 *       weights, first match among rules, a segment, percentage rollouts at 0, 30, 50, 80 and 100 %, weighted variants)
 *       and every constraint operator, negated and case-insensitive too; the contexts lack the targeting key, lack
 *       the attributes, or give them as other JSON types than the operators read.
 * </ul>
 *
 * {@code errorDetails} and {@code message} are recorded as {@code "<text>"}: rewording a message changes no decision
 * a provider takes. Metadata keys are recorded in name order: the order of JSON members means nothing to a client.
 * The stream URL and the snapshot revision of a bulk answer are
 * left out: they depend on the tokens and on every flag in the database, not on the semantics.
 *
 * <p>Recording a new revision: raise {@code SEMANTICS_REVISION} and run this test. It fails, and writes the answers it
 * got to {@code target/evaluation-answers/<revision>.txt} and their digest into its message; compare that file with
 * the previous revision's (the diff shows what changed), copy it to {@code src/test/resources/evaluation-answers/},
 * say in its header what changed, and add the digest to {@link #RECORDED}. A recorded file is never edited, not even
 * to add cases: its answer lines have the SHA-256 in {@link #RECORDED}, which {@link #recordedAnswersAreNeverEdited}
 * checks (the {@code #} comment lines may change). New flags or contexts go into the next revision's file.
 */
@QuarkusTest
@QuarkusTestResource(FlagServiceInfra.class)
class EvaluationAnswersTest {

    /**
     * The SHA-256 (hex) of the answer lines of each recorded revision (every line not starting with {@code #}, each
     * followed by a line feed). Only ever add to it: a recorded revision's answers are what providers cached under
     * its number, and changing a digest here is changing them.
     */
    private static final Map<Integer, String> RECORDED =
            Map.of(2, "ae080a65f345ed22f6198335476037ffd12893d27d1e8860329ac8b935ff912a");

    private static final String DIRECTORY = "evaluation-answers";
    private static final Instant AT = Instant.parse("2026-12-01T00:00:00Z");
    private static final String PREFIX = "answers.";
    private static final String SEGMENT = "answers-beta";
    private static final String GLOBAL_KILL_CONTEXT = "u2";

    private final ObjectMapper json = new ObjectMapper();

    @Inject
    FlagSnapshot liveSnapshot;

    @Test
    void theAnswersAreTheOnesRecordedForTheSemanticsRevision() throws Exception {
        List<String> answers = new ArrayList<>(evaluatorAnswers());
        answers.addAll(ofrepAnswers());

        int revision = EvaluationService.SEMANTICS_REVISION;
        String recorded = DIRECTORY + "/" + revision + ".txt";
        List<String> expected;
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(recorded)) {
            if (in == null) {
                Path written = write(revision, answers);
                fail(
                        "no answers recorded for semantics revision %d: the answers of this build are in %s (answer"
                                + " digest %s); review them, copy the file to src/test/resources/%s, say in its header"
                                + " what changed, and add the digest to EvaluationAnswersTest.RECORDED",
                        revision, written, digest(answers), recorded);
            }
            expected = answerLines(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
        if (!answers.equals(expected)) {
            Path written = write(revision, answers);
            assertThat(answers)
                    .as(
                            "answers to unchanged flags and contexts changed: raise EvaluationService.SEMANTICS_REVISION"
                                    + " (cached bulk answers are kept on a 304 otherwise) and record them under the new"
                                    + " number; the answers of this build are in %s",
                            written)
                    .containsExactlyElementsOf(expected);
        }
    }

    @Test
    void recordedAnswersAreNeverEdited() throws IOException, URISyntaxException {
        URL directory = getClass().getClassLoader().getResource(DIRECTORY);
        assertThat(directory).as("src/test/resources/%s", DIRECTORY).isNotNull();
        Map<Integer, Path> files = new TreeMap<>();
        try (Stream<Path> listed = Files.list(Path.of(directory.toURI()))) {
            listed.forEach(file -> files.put(revisionOf(file), file));
        }
        assertThat(files.keySet())
                .as(
                        "recorded revisions (files in src/test/resources/%s) against EvaluationAnswersTest.RECORDED:"
                                + " a new revision's file needs its digest there, and a digest without its file means a"
                                + " recorded revision was deleted",
                        DIRECTORY)
                .containsExactlyInAnyOrderElementsOf(new TreeSet<>(RECORDED.keySet()));
        assertThat(RECORDED)
                .as("semantics revision %d has no recorded answers", EvaluationService.SEMANTICS_REVISION)
                .containsKey(EvaluationService.SEMANTICS_REVISION);
        files.forEach((revision, file) -> {
            String actual = digest(answerLines(read(file)));
            assertThat(actual)
                    .as(
                            "%s/%s was edited (the SHA-256 of its answer lines is %s, recorded %s): a recorded"
                                    + " revision is never changed, because providers hold its answers under its number."
                                    + " Restore the file; to record other answers, raise"
                                    + " EvaluationService.SEMANTICS_REVISION and record them as a new file",
                            DIRECTORY, file.getFileName(), actual, RECORDED.get(revision))
                    .isEqualTo(RECORDED.get(revision));
        });
    }

    // ---- The evaluator's answers (first recorded for revision 2; unchanged since).

    private List<String> evaluatorAnswers() {
        FlagSnapshot snapshot = new FlagSnapshot(json);
        EvaluationService evaluation = new EvaluationService(snapshot, new SimpleMeterRegistry());
        snapshot.applyAll(evaluatorFlags());
        List<String> answers = new ArrayList<>(evaluatorAnswers(evaluation, "", snapshot.current(), contexts()));
        snapshot.apply(global());
        answers.addAll(evaluatorAnswers(
                evaluation,
                "global kill ",
                snapshot.current(),
                Map.of("u2", contexts().get("u2"))));
        return answers;
    }

    private static List<String> evaluatorAnswers(
            EvaluationService evaluation,
            String prefix,
            FlagSnapshot.State state,
            Map<String, EvaluationContext> contexts) {
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

    private static List<FlagChangedEvent> evaluatorFlags() {
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

    // ---- The OFREP answers of the running service.

    private List<String> ofrepAnswers() throws Exception {
        List<String> keys = createOfrepFlags();
        Map<String, String> contexts = ofrepContexts();
        List<String> lines = new ArrayList<>();
        contexts.forEach((name, body) -> lines.add("ofrep context " + name + " " + body));
        contexts.forEach((name, body) -> lines.addAll(ofrepAnswers(name, body, keys)));
        admin().body(Map.of("reason", "evaluation answers"))
                .post("/api/kill-switch")
                .then()
                .statusCode(200);
        try {
            lines.addAll(ofrepAnswers("global-kill:" + GLOBAL_KILL_CONTEXT, contexts.get(GLOBAL_KILL_CONTEXT), keys));
        } finally {
            admin().delete("/api/kill-switch").then().statusCode(200);
        }
        return lines;
    }

    /** One context's answers: for each flag in key order its single answer, then its item of the bulk answer. */
    private List<String> ofrepAnswers(String name, String body, List<String> keys) {
        Response bulk = client().body(body).post("/ofrep/v1/evaluate/flags");
        assertThat(bulk.statusCode())
                .as("bulk for %s: %s", name, bulk.asString())
                .isEqualTo(200);
        assertThat(bulk.header("ETag")).startsWith("\"" + EvaluationService.SEMANTICS_REVISION + "-");
        Map<String, JsonNode> items = new TreeMap<>();
        for (JsonNode item : tree(bulk.asString()).get("flags")) {
            if (item.get("key").asText().startsWith(PREFIX)) {
                items.put(item.get("key").asText(), item);
            }
        }
        List<String> lines = new ArrayList<>();
        for (String key : keys) {
            Response single = client().body(body).post("/ofrep/v1/evaluate/flags/" + key);
            lines.add("ofrep " + name + " " + key + " single " + single.statusCode() + " "
                    + recorded(tree(single.asString())));
            JsonNode item = items.remove(key);
            lines.add("ofrep " + name + " " + key + " bulk " + (item == null ? "left out" : recorded(item)));
        }
        assertThat(items.keySet())
                .as("bulk items of flags this test did not create")
                .isEmpty();
        return lines;
    }

    /**
     * The answer as a client reads it, with the free text of error messages left out and the metadata in key order
     * (the service builds it with {@code Map.of}, whose order changes from one start of the JVM to the next).
     */
    private String recorded(JsonNode answer) {
        if (answer instanceof ObjectNode object) {
            for (String text : List.of("errorDetails", "message")) {
                if (object.hasNonNull(text)) {
                    object.put(text, "<text>");
                }
            }
            if (object.get("metadata") instanceof ObjectNode metadata) {
                Map<String, JsonNode> sorted = new TreeMap<>();
                metadata.properties().forEach(entry -> sorted.put(entry.getKey(), entry.getValue()));
                metadata.removeAll();
                metadata.setAll(sorted);
            }
        }
        try {
            return json.writeValueAsString(answer);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private JsonNode tree(String body) {
        try {
            return json.readTree(body);
        } catch (IOException e) {
            throw new UncheckedIOException(body, e);
        }
    }

    /**
     * The request bodies, as sent. Attributes: {@code plan}, {@code country} (IN, NOT_IN, a segment), {@code email}
     * (the string operators, MATCHES), {@code age} (NUM_*), {@code appVersion} (SEMVER_*), {@code signupDate}
     * (DATE_*), {@code platform} (the segment). {@code missing} has none of them, {@code wrong-types} all of them as
     * other JSON types than the operators read, {@code as-text} numbers as strings.
     */
    private static Map<String, String> ofrepContexts() {
        Map<String, String> contexts = new LinkedHashMap<>();
        contexts.put("no-key", "{\"context\":{\"plan\":\"pro\",\"platform\":\"ios\",\"country\":\"fr\"}}");
        contexts.put("qa", "{\"context\":{\"targetingKey\":\"qa\",\"plan\":\"free\"}}");
        contexts.put("blocked", "{\"context\":{\"targetingKey\":\"blocked\",\"plan\":\"pro\"}}");
        contexts.put(
                "u1",
                "{\"context\":{\"targetingKey\":\"user-1\",\"plan\":\"free\",\"country\":\"de\","
                        + "\"email\":\"ann@example.com\",\"age\":17,\"appVersion\":\"4.1.9\","
                        + "\"signupDate\":\"2025-06-01T00:00:00Z\",\"platform\":\"IOS\"}}");
        contexts.put(
                "u2",
                "{\"context\":{\"targetingKey\":\"user-2\",\"plan\":\"pro\",\"country\":\"FR\","
                        + "\"email\":\"bob@rollguard.dev\",\"age\":18,\"appVersion\":\"4.2.0\","
                        + "\"signupDate\":\"2026-01-01T00:00:00Z\",\"platform\":\"android\"}}");
        contexts.put(
                "u3",
                "{\"context\":{\"targetingKey\":\"user-3\",\"plan\":\"pro\",\"country\":\"fr\","
                        + "\"email\":\"carol@Example.COM\",\"age\":65.5,\"appVersion\":\"4.2.0-beta.1\","
                        + "\"signupDate\":\"2026-11-30T23:59:59+01:00\",\"platform\":\"ios\"}}");
        contexts.put(
                "u4",
                "{\"context\":{\"targetingKey\":\"user-4\",\"plan\":\"enterprise\",\"country\":\"us\","
                        + "\"email\":\"dan@internal.rollguard.dev\",\"age\":30,\"appVersion\":\"5.0.0\","
                        + "\"signupDate\":\"2025-12-31T23:59:59.999Z\",\"platform\":\"web\"}}");
        contexts.put("u5", "{\"context\":{\"targetingKey\":\"user-5\",\"plan\":\"free\",\"country\":\"fr\"}}");
        contexts.put("u6", "{\"context\":{\"targetingKey\":\"user-6\",\"plan\":\"pro\",\"country\":\"de\"}}");
        contexts.put("missing", "{\"context\":{\"targetingKey\":\"user-7\"}}");
        contexts.put(
                "wrong-types",
                "{\"context\":{\"targetingKey\":\"user-8\",\"plan\":7,\"country\":true,\"email\":42,"
                        + "\"age\":\"old\",\"appVersion\":\"latest\",\"signupDate\":20260101,"
                        + "\"platform\":[\"ios\"]}}");
        contexts.put(
                "as-text",
                "{\"context\":{\"targetingKey\":\"user-9\",\"plan\":\"pro\",\"age\":\"18\",\"appVersion\":5,"
                        + "\"signupDate\":\"2025-12-31T23:59:59Z\",\"email\":\"BOB@EXAMPLE.COM\"}}");
        return contexts;
    }

    /** Creates the flags through the admin API and returns their keys in key order. */
    private List<String> createOfrepFlags() throws Exception {
        admin().body(Map.of(
                        "key",
                        SEGMENT,
                        "description",
                        "iOS users",
                        "constraints",
                        List.of(constraint("platform", "IN", List.of("ios"), false, true))))
                .post("/api/segments")
                .then()
                .statusCode(201);
        List<String> keys = new ArrayList<>();
        Consumer<Map<String, Object>> create = flag -> {
            Api.create(flag);
            keys.add((String) flag.get("key"));
        };
        create.accept(ofrepFlag("bool-0", "rolloutPercentage", 0));
        create.accept(ofrepFlag("bool-30", "rolloutPercentage", 30));
        create.accept(ofrepFlag("bool-100", "rolloutPercentage", 100));
        create.accept(ofrepFlag("disabled", "enabled", false, "rolloutPercentage", 100));
        create.accept(ofrepFlag("killed", "rolloutPercentage", 100));
        Api.kill(PREFIX + "killed", "evaluation answers");
        create.accept(ofrepFlag("archived", "rolloutPercentage", 100));
        admin().delete("/api/flags/" + PREFIX + "archived?reason=evaluation answers")
                .then()
                .statusCode(200);
        create.accept(ofrepFlag(
                "lists", "allowList", List.of("qa"), "denyList", List.of("blocked"), "rolloutPercentage", 50));
        create.accept(ofrepFlag("child", "parent", PREFIX + "bool-30", "rolloutPercentage", 100));
        create.accept(ofrepFlag("child-of-killed", "parent", PREFIX + "killed", "rolloutPercentage", 100));
        create.accept(ofrepFlag("child-of-lists", "parent", PREFIX + "lists", "rolloutPercentage", 100));
        create.accept(colours("weighted", "rolloutPercentage", 80, "variantWeights", weights(50, 30, 20)));
        create.accept(colours("weighted-100", "rolloutPercentage", 100, "variantWeights", weights(50, 50, 0)));
        create.accept(ofrepFlag(
                "number", "type", "NUMBER", "variants", Map.of("on", 1.5, "off", 0), "rolloutPercentage", 50));
        create.accept(ofrepFlag(
                "json-object",
                "type",
                "JSON",
                "variants",
                Map.of("on", Map.of("items", List.of("a")), "off", Map.of("items", List.of())),
                "rolloutPercentage",
                50));
        create.accept(ofrepFlag(
                "json-array",
                "type",
                "JSON",
                "variants",
                Map.of("on", Map.of("items", List.of("a")), "off", Map.of("items", List.of())),
                "rolloutPercentage",
                50));
        // As an earlier release stored it: the API refuses an array variant now.
        StoredFlags.setVariant(liveSnapshot, PREFIX + "json-array", "on", "[\"a\",\"b\"]");
        create.accept(ofrepFlag("rule-variant", "rules", List.of(rule("pro", in("plan", "pro"), "variant", "on"))));
        create.accept(ofrepFlag(
                "rule-variant-off",
                "rolloutPercentage",
                100,
                "rules",
                List.of(rule("free", in("plan", "free"), "variant", "off"))));
        create.accept(ofrepFlag(
                "rule-share",
                "rules",
                List.of(rule(
                        "france",
                        List.of(constraint("country", "IN", List.of("fr"), false, true)),
                        "rolloutPercentage",
                        50))));
        create.accept(ofrepFlag(
                "rule-share-0",
                "rolloutPercentage",
                100,
                "rules",
                List.of(rule("pro-none", in("plan", "pro"), "rolloutPercentage", 0))));
        create.accept(ofrepFlag(
                "rule-share-100", "rules", List.of(rule("pro-all", in("plan", "pro"), "rolloutPercentage", 100))));
        create.accept(colours(
                "rule-weighted",
                "rolloutPercentage",
                0,
                "rules",
                List.of(rule("pro", in("plan", "pro"), "rolloutPercentage", 60)),
                "variantWeights",
                weights(50, 50, 0)));
        create.accept(colours(
                "rule-order",
                "rolloutPercentage",
                0,
                "rules",
                List.of(
                        rule("enterprise", in("plan", "enterprise"), "variant", "green"),
                        rule(
                                "paying",
                                List.of(constraint("plan", "NOT_IN", List.of("free"), false, false)),
                                "variant",
                                "blue"))));
        create.accept(ofrepFlag(
                "rule-segment",
                "rules",
                List.of(rule(
                        "ios-self-serve",
                        List.of(constraint("plan", "NOT_IN", List.of("enterprise"), false, false)),
                        "segments",
                        List.of(SEGMENT),
                        "variant",
                        "on"))));
        operator("in", "plan", "IN", List.of("pro", "enterprise"), false, false, create);
        operator("not-in", "country", "NOT_IN", List.of("fr", "de"), false, false, create);
        operator("starts-with", "email", "STR_STARTS_WITH", List.of("bob", "carol"), false, false, create);
        operator("ends-with", "email", "STR_ENDS_WITH", List.of("@example.com"), false, true, create);
        operator("contains", "email", "STR_CONTAINS", List.of("rollguard"), false, false, create);
        operator("contains-negated", "email", "STR_CONTAINS", List.of("EXAMPLE"), true, true, create);
        operator("matches", "email", "MATCHES", List.of("^[a-c][a-z]*@"), false, false, create);
        operator("num-eq", "age", "NUM_EQ", List.of("18"), false, false, create);
        operator("num-lt", "age", "NUM_LT", List.of("18"), false, false, create);
        operator("num-lte", "age", "NUM_LTE", List.of("18"), false, false, create);
        operator("num-gt", "age", "NUM_GT", List.of("65"), false, false, create);
        operator("num-gte", "age", "NUM_GTE", List.of("65.5"), false, false, create);
        operator("semver-eq", "appVersion", "SEMVER_EQ", List.of("4.2.0"), false, false, create);
        operator("semver-lt", "appVersion", "SEMVER_LT", List.of("4.2.0"), false, false, create);
        operator("semver-lte", "appVersion", "SEMVER_LTE", List.of("4.2.0"), false, false, create);
        operator("semver-gt", "appVersion", "SEMVER_GT", List.of("4.2.0"), false, false, create);
        operator("semver-gte", "appVersion", "SEMVER_GTE", List.of("4.2.0"), false, false, create);
        operator("semver-gte-negated", "appVersion", "SEMVER_GTE", List.of("4.2.0"), true, false, create);
        operator("date-before", "signupDate", "DATE_BEFORE", List.of("2026-01-01T00:00:00Z"), false, false, create);
        operator("date-after", "signupDate", "DATE_AFTER", List.of("2026-01-01T00:00:00Z"), false, false, create);
        return keys.stream().sorted().toList();
    }

    /** A flag whose one rule serves {@code on} to the subjects the constraint matches, and off to everyone else. */
    private static void operator(
            String name,
            String attribute,
            String operator,
            List<String> values,
            boolean negate,
            boolean caseInsensitive,
            Consumer<Map<String, Object>> create) {
        create.accept(ofrepFlag(
                "op-" + name,
                "rules",
                List.of(rule(
                        name,
                        List.of(constraint(attribute, operator, values, negate, caseInsensitive)),
                        "variant",
                        "on"))));
    }

    /** An enabled boolean flag without a rollout plan, at 0 % unless {@code fields} say otherwise. */
    private static Map<String, Object> ofrepFlag(String name, Object... fields) {
        Map<String, Object> flag = new LinkedHashMap<>();
        flag.put("key", PREFIX + name);
        flag.put("enabled", true);
        flag.put("stages", List.of());
        flag.put("rolloutPercentage", 0);
        for (int i = 0; i < fields.length; i += 2) {
            flag.put((String) fields[i], fields[i + 1]);
        }
        return flag;
    }

    /** A string flag of three colours and {@code none} when off, treating with {@code red}. */
    private static Map<String, Object> colours(String name, Object... fields) {
        Map<String, Object> flag = ofrepFlag(
                name,
                "type",
                "STRING",
                "variants",
                Map.of("red", "red", "green", "green", "blue", "blue", "off", "none"),
                "treatmentVariant",
                "red");
        for (int i = 0; i < fields.length; i += 2) {
            flag.put((String) fields[i], fields[i + 1]);
        }
        return flag;
    }

    private static List<Map<String, Object>> weights(int red, int green, int blue) {
        List<Map<String, Object>> weights = new ArrayList<>();
        weights.add(Map.of("variant", "red", "weight", red));
        weights.add(Map.of("variant", "green", "weight", green));
        if (blue > 0) {
            weights.add(Map.of("variant", "blue", "weight", blue));
        }
        return weights;
    }

    private static Map<String, Object> rule(String id, List<Map<String, Object>> constraints, Object... fields) {
        Map<String, Object> rule = new LinkedHashMap<>();
        rule.put("id", id);
        rule.put("constraints", constraints);
        for (int i = 0; i < fields.length; i += 2) {
            rule.put((String) fields[i], fields[i + 1]);
        }
        return rule;
    }

    private static List<Map<String, Object>> in(String attribute, String value) {
        return List.of(constraint(attribute, "IN", List.of(value), false, false));
    }

    private static Map<String, Object> constraint(
            String attribute, String operator, List<String> values, boolean negate, boolean caseInsensitive) {
        return Map.of(
                "attribute",
                attribute,
                "operator",
                operator,
                "values",
                values,
                "negate",
                negate,
                "caseInsensitive",
                caseInsensitive);
    }

    // ---- Recorded files and their digests.

    private static List<String> answerLines(String file) {
        return file.lines().filter(line -> !line.startsWith("#")).toList();
    }

    private static String digest(List<String> answers) {
        try {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            for (String line : answers) {
                sha256.update((line + "\n").getBytes(StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(sha256.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int revisionOf(Path file) {
        String name = file.getFileName().toString();
        assertThat(name)
                .as("src/test/resources/%s holds only <revision>.txt files", DIRECTORY)
                .matches("[1-9][0-9]*\\.txt");
        return Integer.parseInt(name.substring(0, name.length() - ".txt".length()));
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes this build's answers where the failure message says, for recording a new revision. */
    private static Path write(int revision, List<String> answers) throws IOException {
        Path file = Path.of("target", DIRECTORY, revision + ".txt").toAbsolutePath();
        Files.createDirectories(file.getParent());
        List<String> lines = new ArrayList<>();
        lines.add("# The answers of semantics revision " + revision
                + " (EvaluationService.SEMANTICS_REVISION) to EvaluationAnswersTest's flags:");
        lines.add("# \"<context> <flag>: <reason> <variant> <value> <metadata>\" or \"<context> <flag>: error"
                + " <errorCode>\".");
        lines.add("# \"ofrep context <name> <request body>\", then for each context and flag \"ofrep <context> <flag>"
                + " single <status> <body>\"");
        lines.add("# and \"ofrep <context> <flag> bulk <item of flags>\" (\"left out\" when absent): the JSON the"
                + " running service answers over");
        lines.add("# OFREP, \"<text>\" standing for errorDetails and message, metadata keys in name order.");
        lines.add("# Revision " + revision + ": <what it answers otherwise than revision " + (revision - 1)
                + ", and why>. Never edit these lines for another");
        lines.add("# answer: raise the revision and record the new answers in a new file, so the bulk ETag changes"
                + " with them.");
        lines.addAll(answers);
        Files.write(file, lines, StandardCharsets.UTF_8);
        return file;
    }
}
