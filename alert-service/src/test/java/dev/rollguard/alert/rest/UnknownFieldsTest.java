package dev.rollguard.alert.rest;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import dev.rollguard.alert.api.RuleRequest;
import dev.rollguard.alert.service.RuleService;
import dev.rollguard.alert.support.AlertTestResource;
import dev.rollguard.alert.support.Api;
import dev.rollguard.infra.SharedInfra;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;

/**
 * A field the API does not know is refused, not dropped: a rule with {@code "keepFiringFor"} or {@code
 * "critical.treshold"} would otherwise be stored without it and answered 201, and a silence matcher with {@code
 * "isequal": false} would silence what it was meant to spare. Inbound alerts stay open to what their senders add, and
 * the JSON the service stored is read as before.
 */
@QuarkusTest
@QuarkusTestResource(AlertTestResource.class)
class UnknownFieldsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    RuleService rules;

    @Inject
    ObjectMapper mapper;

    private static String id(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** A valid rule, disabled so that it raises no alert in the other tests of this boot. */
    private static Map<String, Object> rule(String id) {
        Map<String, Object> rule = new LinkedHashMap<>();
        rule.put("id", id);
        rule.put("name", "Errors");
        rule.put("metric", "errorRate");
        rule.put("comparator", "GT");
        rule.put("warning", Map.of("threshold", 0.01));
        rule.put("critical", Map.of("threshold", 0.05, "forSeconds", 60));
        rule.put("scope", Map.of("types", List.of("TABLE"), "table", "entries"));
        rule.put("enabled", false);
        return rule;
    }

    private static Map<String, Object> webhook(String name) {
        Map<String, Object> webhook = new LinkedHashMap<>();
        webhook.put("name", name);
        webhook.put("url", "http://127.0.0.1:9/hook");
        webhook.put("events", List.of("alerts"));
        webhook.put("enabled", false);
        return webhook;
    }

    private static Map<String, Object> silence(String comment, Map<String, Object> matcher) {
        return Map.of(
                "matchers",
                List.of(matcher),
                "endsAt",
                Instant.now().plus(1, ChronoUnit.HOURS).toString(),
                "createdBy",
                "ana@example.com",
                "comment",
                comment);
    }

    private static Map<String, Object> with(Map<String, Object> body, String field, Object value) {
        Map<String, Object> copy = new LinkedHashMap<>(body);
        copy.put(field, value);
        return copy;
    }

    @Test
    void aRuleWithAnUnknownFieldIsRefusedAndNotStored() {
        String id = id("typo-rule");
        Api.admin()
                .body(with(rule(id), "keepFiringFor", 300))
                .post("/api/rules")
                .then()
                .statusCode(400)
                .contentType(ContentType.JSON)
                .body("code", equalTo("VALIDATION_FAILED"))
                .body("message", startsWith("keepFiringFor: unknown field; known: id, name, metric,"))
                .body("violations.size()", equalTo(1))
                .body("violations[0].field", equalTo("keepFiringFor"))
                .body("violations[0].message", startsWith("unknown field; known: id, name, metric, comparator,"))
                .body("violations[0].message", containsString("keepFiringForSeconds"));
        Api.admin().get("/api/rules/" + id).then().statusCode(404);
    }

    @Test
    void unknownNestedFieldsOfARuleAreNamedWithTheirPath() {
        Map<String, Map<String, Object>> cases = Map.of(
                "critical.treshold",
                Map.of("critical", Map.of("treshold", 0.05)),
                "warning.for",
                Map.of("warning", Map.of("threshold", 0.01, "for", 600)),
                "scope.flag",
                Map.of("scope", Map.of("types", List.of("FLAG_COHORT"), "flag", "new-sync")));
        Map<String, String> known = Map.of(
                "critical.treshold", "unknown field; known: threshold, forSeconds",
                "warning.for", "unknown field; known: threshold, forSeconds",
                "scope.flag", "unknown field; known: types, flagKey, cohort, table, platform, windowKind");
        for (Map.Entry<String, Map<String, Object>> c : cases.entrySet()) {
            String id = id("typo-nested");
            Map<String, Object> body = rule(id);
            body.putAll(c.getValue());
            Api.admin()
                    .body(body)
                    .post("/api/rules")
                    .then()
                    .statusCode(400)
                    .body("code", equalTo("VALIDATION_FAILED"))
                    .body("violations.size()", equalTo(1))
                    .body("violations[0].field", equalTo(c.getKey()))
                    .body("violations[0].message", equalTo(known.get(c.getKey())));
            Api.admin().get("/api/rules/" + id).then().statusCode(404);
        }

        // An update with a typo changes nothing: the rule keeps its version and its level.
        String id = id("typo-update");
        Api.admin().body(rule(id)).post("/api/rules").then().statusCode(201);
        Map<String, Object> update = with(rule(id), "critical", Map.of("threshold", 0.5, "forSecond", 600));
        Api.admin()
                .header("If-Match", "\"1\"")
                .body(update)
                .put("/api/rules/" + id)
                .then()
                .statusCode(400)
                .body("violations[0].field", equalTo("critical.forSecond"));
        Api.admin()
                .get("/api/rules/" + id)
                .then()
                .statusCode(200)
                .body("version", equalTo(1))
                .body("critical.threshold", equalTo(0.05f))
                .body("critical.forSeconds", equalTo(60));
        Api.admin().delete("/api/rules/" + id).then().statusCode(204);
    }

    @Test
    void aWebhookWithAnUnknownFieldIsRefusedAndNotStored() {
        String name = id("typo-hook");
        Api.admin()
                .body(with(webhook(name), "evnets", List.of("actions")))
                .post("/api/webhooks")
                .then()
                .statusCode(400)
                .body("code", equalTo("VALIDATION_FAILED"))
                .body("violations[0].field", equalTo("evnets"))
                .body("violations[0].message", startsWith("unknown field; known: name, kind, url,"))
                .body("violations[0].message", containsString("events"));
        Api.admin()
                .body(with(webhook(name), "matchers", List.of(Map.of("name", "flag", "value", "x", "isequal", false))))
                .post("/api/webhooks")
                .then()
                .statusCode(400)
                .body("violations[0].field", equalTo("matchers[0].isequal"))
                .body("violations[0].message", equalTo("unknown field; known: name, value, isRegex, isEqual"));
        Api.admin().get("/api/webhooks").then().statusCode(200).body("name", not(hasItem(name)));

        // A replacement with a typo leaves the webhook as it was.
        String id = Api.admin()
                .body(webhook(name))
                .post("/api/webhooks")
                .then()
                .statusCode(201)
                .extract()
                .path("id");
        Api.admin()
                .body(with(webhook(name), "groupwait", "1s"))
                .put("/api/webhooks/" + id)
                .then()
                .statusCode(400)
                .body("violations[0].field", equalTo("groupwait"));
        Api.admin()
                .get("/api/webhooks/" + id)
                .then()
                .statusCode(200)
                .body("groupWait", equalTo("10s"))
                .body("events", equalTo(List.of("alerts")));
        Api.admin().delete("/api/webhooks/" + id).then().statusCode(204);
    }

    @Test
    void aSilenceWithAnUnknownFieldIsRefusedAndNotStored() {
        String comment = id("typo-silence");
        // Meant to silence everything but the critical alerts; read without "isequal" it would silence those.
        Api.admin()
                .body(silence(comment, Map.of("name", "severity", "value", "critical", "isequal", false)))
                .post("/api/silences")
                .then()
                .statusCode(400)
                .body("code", equalTo("VALIDATION_FAILED"))
                .body("violations.size()", equalTo(1))
                .body("violations[0].field", equalTo("matchers[0].isequal"))
                .body("violations[0].message", equalTo("unknown field; known: name, value, isRegex, isEqual"));
        Api.admin()
                .body(with(
                        silence(comment, Map.of("name", "severity", "value", "critical")),
                        "startAt",
                        Instant.now().plus(1, ChronoUnit.MINUTES).toString()))
                .post("/api/silences")
                .then()
                .statusCode(400)
                .body("violations[0].field", equalTo("startAt"))
                .body(
                        "violations[0].message",
                        equalTo("unknown field; known: matchers, startsAt, endsAt, createdBy, comment"));
        Api.admin()
                .queryParam("limit", 1000)
                .get("/api/silences")
                .then()
                .statusCode(200)
                .body("comment", not(hasItem(comment)));
    }

    /** Every write of the API with a body, read from the OpenAPI document, refuses an unknown field; inbound aside. */
    @Test
    void everyBodyOfTheApiRefusesAnUnknownField() throws Exception {
        String ruleId = id("typo-every");
        Api.admin().body(rule(ruleId)).post("/api/rules").then().statusCode(201);
        String webhookId = Api.admin()
                .body(webhook(id("typo-every")))
                .post("/api/webhooks")
                .then()
                .statusCode(201)
                .extract()
                .path("id");
        JsonNode openApi = JSON.readTree(
                given().queryParam("format", "json").get("/q/openapi").asString());
        List<String> checked = new ArrayList<>();
        SoftAssertions softly = new SoftAssertions();
        for (Iterator<Map.Entry<String, JsonNode>> paths = openApi.path("paths").fields(); paths.hasNext(); ) {
            Map.Entry<String, JsonNode> path = paths.next();
            if (!path.getKey().startsWith("/api/") || path.getKey().equals(InboundAlertResource.PATH)) {
                continue;
            }
            for (String method : List.of("post", "put", "patch")) {
                JsonNode operation = path.getValue().get(method);
                if (operation == null || !operation.has("requestBody")) {
                    continue;
                }
                String what = method.toUpperCase() + " " + path.getKey();
                checked.add(what);
                String url = path.getKey()
                        .replace("/api/rules/{id}", "/api/rules/" + ruleId)
                        .replace("/api/webhooks/{id}", "/api/webhooks/" + webhookId);
                Response response = Api.admin()
                        .header("If-Match", "\"1\"")
                        .body("{\"noSuchField\": 1}")
                        .request(method.toUpperCase(), url);
                softly.assertThat(response.statusCode()).as(what).isEqualTo(400);
                softly.assertThat(response.jsonPath().getString("code"))
                        .as(what)
                        .isEqualTo("VALIDATION_FAILED");
                softly.assertThat(response.jsonPath().getString("violations[0].field"))
                        .as(what)
                        .isEqualTo("noSuchField");
                softly.assertThat(response.jsonPath().getString("violations[0].message"))
                        .as(what)
                        .startsWith("unknown field; known: ");
            }
        }
        softly.assertAll();
        assertThat(checked)
                .contains(
                        "POST /api/rules",
                        "PUT /api/rules/{id}",
                        "POST /api/webhooks",
                        "PUT /api/webhooks/{id}",
                        "POST /api/silences");
        Api.admin().get("/api/rules/" + ruleId).then().body("version", equalTo(1));
        Api.admin().delete("/api/rules/" + ruleId).then().statusCode(204);
        Api.admin().delete("/api/webhooks/" + webhookId).then().statusCode(204);
    }

    /** Alertmanager and other senders add fields freely: the inbound endpoint takes their alerts all the same. */
    @Test
    void inboundAlertsWithFieldsTheEndpointDoesNotKnowAreTaken() {
        String flag = id("ext-extra");
        String webhook =
                """
                {"version": "4", "status": "firing", "receiver": "rollguard", "truncatedAlerts": 0,
                 "groupKey": "{}:{alertname=\\"CheckoutErrors\\"}", "groupLabels": {"alertname": "CheckoutErrors"},
                 "externalURL": "http://alertmanager.example:9093",
                 "fieldOfALaterRelease": {"nested": [1, {"deeper": true}]},
                 "alerts": [{"status": "firing",
                             "labels": {"alertname": "CheckoutErrors", "severity": "critical", "rollguard_flag": "%s"},
                             "annotations": {"summary": "5xx ratio above 5 %% on checkout"},
                             "startsAt": "2026-06-01T10:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
                             "fingerprint": "c0ffee0123456789", "silenceURL": "http://alertmanager.example/silence",
                             "fieldOfALaterRelease": {"x": 1}}]}"""
                        .formatted(flag);
        inbound(webhook)
                .then()
                .statusCode(200)
                .body("received", equalTo(1))
                .body("firing", equalTo(1))
                .body("rejected", equalTo(0))
                .body("alerts[0].outcome", equalTo("FIRING"))
                .body("alerts[0].flagKey", equalTo(flag));

        // The generic shape and a bare array of alerts, each with a field of their own.
        String other = id("ext-extra");
        inbound(
                        """
                        {"source": "checkout-slo-monitor", "team": "payments",
                         "alerts": [{"labels": {"alertname": "SloBurn", "severity": "warning", "rollguard_flag": "%s"},
                                     "value": 14.2}]}"""
                                .formatted(other))
                .then()
                .statusCode(200)
                .body("firing", equalTo(1))
                .body("alerts[0].flagKey", equalTo(other));
        String bare = id("ext-extra");
        inbound(
                        """
                        [{"labels": {"alertname": "SloBurn", "severity": "warning", "rollguard_flag": "%s"},
                          "receivedAt": "now"}]"""
                                .formatted(bare))
                .then()
                .statusCode(200)
                .body("firing", equalTo(1))
                .body("alerts[0].flagKey", equalTo(bare));
    }

    @Test
    void theDefaultPackIsReadIntoTheStrictRecordsAndLoads() throws Exception {
        assertThat(rules.defaultPack())
                .extracting(RuleRequest::id)
                .contains("sync-success-rate", "error-rate", "guard")
                .hasSize(10);
        // Read by the same mapper as the API's bodies: a typo in a pack is refused, not dropped.
        String pack = "[{\"id\": \"p\", \"name\": \"P\", \"metric\": \"errorRate\", \"comparator\": \"GT\","
                + " \"critical\": {\"treshold\": 0.05}}]";
        assertThatThrownBy(() -> mapper.readValue(pack, new TypeReference<List<RuleRequest>>() {}))
                .isInstanceOf(UnrecognizedPropertyException.class)
                .hasMessageContaining("treshold");
    }

    /** Silence and webhook matchers stored with a field this release does not know (one a later release wrote). */
    @Test
    void storedJsonWithFieldsThisReleaseDoesNotKnowIsStillRead() throws Exception {
        String later = "[{\"name\": \"severity\", \"value\": \"warning\", \"isRegex\": false, \"isEqual\": true,"
                + " \"caseSensitive\": true}]";
        Map<String, Object> matcher = Map.of("name", "severity", "value", "warning");
        String comment = id("stored-extra");
        String silence = Api.admin()
                .body(silence(comment, matcher))
                .post("/api/silences")
                .then()
                .statusCode(201)
                .extract()
                .path("id");
        String webhook = Api.admin()
                .body(with(webhook(id("stored-extra")), "matchers", List.of(matcher)))
                .post("/api/webhooks")
                .then()
                .statusCode(201)
                .extract()
                .path("id");
        store("update silences set matchers = ? where id = ?", later, silence);
        store("update webhooks set matchers = ? where id = ?", later, webhook);

        Api.admin()
                .get("/api/silences/" + silence)
                .then()
                .statusCode(200)
                .body("comment", equalTo(comment))
                .body("matchers[0].name", equalTo("severity"))
                .body("matchers[0].value", equalTo("warning"));
        Api.admin()
                .get("/api/webhooks/" + webhook)
                .then()
                .statusCode(200)
                .body("matchers[0].name", equalTo("severity"))
                .body("matchers[0].value", equalTo("warning"));
        Api.admin().delete("/api/silences/" + silence).then().statusCode(204);
        Api.admin().delete("/api/webhooks/" + webhook).then().statusCode(204);
    }

    private static void store(String sql, String matchers, String id) throws Exception {
        try (Connection db = DriverManager.getConnection(
                        SharedInfra.jdbcUrl(AlertTestResource.DATABASE_NAME),
                        SharedInfra.dbUser(),
                        SharedInfra.dbPassword());
                PreparedStatement update = db.prepareStatement(sql)) {
            update.setString(1, matchers);
            update.setString(2, id);
            assertThat(update.executeUpdate()).isEqualTo(1);
        }
    }

    private static Response inbound(String body) {
        return given().header("Authorization", "Bearer test-inbound-token")
                .contentType(ContentType.JSON)
                .body(body)
                .post(InboundAlertResource.PATH);
    }
}
