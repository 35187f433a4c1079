package dev.rollguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The segment and rules commands against a stand-in flag-service ({@link ServiceStub}): what they send, what they print,
 * and the service's refusals (each targeting problem named, a segment in use).
 */
class TargetingCommandsTest {

    private static final String SEGMENT =
            """
            {"key": "beta", "description": "beta testers",
             "constraints": [{"attribute": "platform", "operator": "IN", "values": ["IOS", "ANDROID"],
                              "negate": false, "caseInsensitive": false},
                             {"attribute": "appVersion", "operator": "SEMVER_GTE", "values": ["4.2.0"],
                              "negate": true, "caseInsensitive": false}],
             "usedBy": ["checkout", "search"], "version": 3, "createdAt": "2026-01-01T10:00:00Z",
             "updatedAt": "2026-01-01T10:12:05Z", "updatedBy": "ana"}
            """;

    private static final String FLAG =
            """
            {"key": "checkout", "version": 7, "rolloutPercentage": 10.0, "treatmentVariant": "blue",
             "rules": [{"id": "ios", "description": null, "segments": ["beta"],
                        "constraints": [{"attribute": "country", "operator": "IN", "values": ["FR", "DE"],
                                         "negate": false, "caseInsensitive": true}],
                        "variant": "green", "rolloutPercentage": 100.0},
                       {"id": "staff", "segments": [], "constraints": [], "variant": null, "rolloutPercentage": 25.0}],
             "variantWeights": [{"variant": "blue", "weight": 50.0}, {"variant": "green", "weight": 50.0}]}
            """;

    private final ServiceStub stub = new ServiceStub();

    @TempDir
    Path dir;

    @AfterEach
    void stop() {
        stub.close();
    }

    @Test
    void segmentPutCreatesASegmentFromTheConstraintsWrittenOnTheLine() throws IOException {
        stub.answer("POST /api/segments", 201, SEGMENT.replace("\"version\": 3", "\"version\": 1"));

        ServiceStub.Result result = stub.run(
                "segment",
                "put",
                "beta",
                "--constraint",
                "platform in IOS, ANDROID",
                "--constraint",
                "appVersion not semver_gte 4.2.0",
                "--constraint",
                "email str_ends_with/i @example.com",
                "--description",
                "beta testers");

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(stub.requests).extracting(ServiceStub.Request::method).containsExactly("PUT", "POST");
        JsonNode sent = RollguardApi.JSON.readTree(stub.requests.get(1).body());
        assertThat(sent.path("key").asText()).isEqualTo("beta");
        assertThat(sent.path("description").asText()).isEqualTo("beta testers");
        assertThat(sent.path("constraints").toString())
                .isEqualTo("[{\"attribute\":\"platform\",\"operator\":\"IN\",\"values\":[\"IOS\",\"ANDROID\"],"
                        + "\"negate\":false,\"caseInsensitive\":false},"
                        + "{\"attribute\":\"appVersion\",\"operator\":\"SEMVER_GTE\",\"values\":[\"4.2.0\"],"
                        + "\"negate\":true,\"caseInsensitive\":false},"
                        + "{\"attribute\":\"email\",\"operator\":\"STR_ENDS_WITH\",\"values\":[\"@example.com\"],"
                        + "\"negate\":false,\"caseInsensitive\":true}]");
        assertThat(result.out()).isEqualTo("segment beta created (version 1); used by checkout, search\n");
    }

    @Test
    void segmentPutOfAnExistingSegmentReplacesIt() {
        stub.answer("PUT /api/segments/beta", 200, SEGMENT);

        ServiceStub.Result result = stub.run("segment", "put", "beta", "--constraint", "platform in IOS");

        assertThat(result.exitCode()).isZero();
        assertThat(stub.requests).extracting(ServiceStub.Request::method).containsExactly("PUT");
        assertThat(result.out()).isEqualTo("segment beta saved (version 3); used by checkout, search\n");
    }

    @Test
    void segmentListAndGetShowTheConstraintsAndTheFlagsUsingThem() {
        stub.answer("GET /api/segments", 200, "[" + SEGMENT + "]");
        stub.answer("GET /api/segments/beta", 200, SEGMENT);

        ServiceStub.Result list = stub.run("segment", "list");
        ServiceStub.Result get = stub.run("segment", "get", "beta");

        assertThat(list.exitCode()).isZero();
        assertThat(list.out())
                .contains("KEY", "CONSTRAINTS", "USED BY")
                .contains("platform IN IOS,ANDROID and appVersion not SEMVER_GTE 4.2.0")
                .contains("checkout, search");
        assertThat(get.out())
                .contains("Constraint:   platform IN IOS,ANDROID\n")
                .contains("Constraint:   appVersion not SEMVER_GTE 4.2.0\n")
                .contains("Used by:      checkout, search\n");
    }

    @Test
    void deletingASegmentInUseFailsWithTheServicesAnswer() {
        stub.answer(
                "DELETE /api/segments/beta",
                409,
                "{\"code\": \"SEGMENT_IN_USE\", \"message\": \"segment 'beta' is used by flags checkout, search\"}");

        ServiceStub.Result result = stub.run("segment", "delete", "beta", "--reason", "cleanup");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err()).contains("SEGMENT_IN_USE").contains("used by flags checkout, search");
        assertThat(stub.requests.get(0).query()).isEqualTo("reason=cleanup");
    }

    @Test
    void aConstraintThatDoesNotParseIsAUsageMistake() {
        ServiceStub.Result result = stub.run("segment", "put", "beta", "--constraint", "platform");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).contains("a constraint is 'ATTRIBUTE [not] OPERATOR VALUES'");
        assertThat(stub.requests).isEmpty();
    }

    @Test
    void rulesGetShowsEachRuleInOrderAndTheWeights() {
        stub.answer("GET /api/flags/checkout", 200, FLAG);

        ServiceStub.Result result = stub.run("rules", "get", "checkout");

        assertThat(result.exitCode()).isZero();
        assertThat(result.out())
                .containsPattern("1 +ios +beta +country IN/i FR,DE +green")
                .containsPattern("2 +staff +25 % treated")
                .contains("otherwise: rollout 10 % of blue; weights: blue 50 %, green 50 %");
    }

    @Test
    void rulesSetPatchesTheRulesFileWithTheFlagsVersionAndNamesEachProblem() throws IOException {
        Path file = dir.resolve("rules.json");
        Files.writeString(
                file,
                """
                {"rules": [{"id": "ios", "constraints": [{"attribute": "appVersion", "operator": "SEMVER_GTE",
                                                          "values": ["4.x"]}]}],
                 "variantWeights": []}
                """);
        stub.answer("GET /api/flags/checkout", 200, FLAG);
        stub.answer(
                "PATCH /api/flags/checkout",
                400,
                """
                {"code": "INVALID_TARGETING", "message": "invalid targeting: rule ios: '4.x' is not a semantic version",
                 "problems": [{"path": "rules[0].constraints[0].values",
                               "message": "rule ios: constraint 0 (appVersion SEMVER_GTE): '4.x' is not a semantic version"}]}
                """);

        ServiceStub.Result refused = stub.run("rules", "set", "checkout", "--file", file.toString());

        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.err())
                .contains("INVALID_TARGETING")
                .contains("rules[0].constraints[0].values: rule ios: constraint 0 (appVersion SEMVER_GTE)");
        ServiceStub.Request patch = stub.requests.get(1);
        assertThat(patch.method()).isEqualTo("PATCH");
        JsonNode sent = RollguardApi.JSON.readTree(patch.body());
        assertThat(sent.path("rules").get(0).path("id").asText()).isEqualTo("ios");
        assertThat(sent.path("variantWeights").isArray()).isTrue();
        assertThat(sent.has("context")).isFalse();

        stub.answer("PATCH /api/flags/checkout", 200, FLAG.replace("\"version\": 7", "\"version\": 8"));
        ServiceStub.Result saved = stub.run("rules", "set", "checkout", "--file", file.toString());
        assertThat(saved.exitCode()).isZero();
        assertThat(saved.out()).contains("ios").endsWith("checkout: version 8\n");
    }

    @Test
    void rulesPreviewSendsTheContextAndPrintsWhatItIsServed() throws IOException {
        stub.answer(
                "POST /api/flags/checkout/preview",
                200,
                "{\"variant\": \"green\", \"value\": \"green\", \"reason\": \"TARGETING_MATCH\", \"ruleId\": \"ios\","
                        + " \"treated\": true}");

        ServiceStub.Result result =
                stub.run("rules", "preview", "checkout", "targetingKey=u-1", "platform=IOS", "build:=42", "beta:=true");

        assertThat(result.exitCode()).as(result.err()).isZero();
        JsonNode sent = RollguardApi.JSON.readTree(stub.requests.get(0).body());
        assertThat(sent.path("context").toString())
                .isEqualTo("{\"targetingKey\":\"u-1\",\"platform\":\"IOS\",\"build\":42,\"beta\":true}");
        assertThat(sent.has("rules")).isFalse();
        assertThat(result.out()).isEqualTo("checkout: green (\"green\"), reason TARGETING_MATCH, rule ios, treated\n");
    }
}
