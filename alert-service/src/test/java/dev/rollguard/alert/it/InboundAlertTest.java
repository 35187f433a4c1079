package dev.rollguard.alert.it;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;

import dev.rollguard.alert.support.AlertTestResource;
import dev.rollguard.alert.support.Api;
import dev.rollguard.alert.support.TestKafka;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.event.AlertStatus;
import dev.rollguard.schemas.event.Severity;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.specification.RequestSpecification;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/**
 * Alerts in over {@code POST /api/alerts/inbound}: an Alertmanager webhook body and the generic shape naming a flag
 * become one transition each on the {@code alerts} topic however often they are received; alerts Rollguard does not
 * act on are answered, not refused; a bad alert is rejected alone, in a 200, and the others taken; envelopes that
 * cannot be read and wrong tokens are refused with the error contract.
 */
@QuarkusTest
@QuarkusTestResource(AlertTestResource.class)
class InboundAlertTest {

    private static final String PATH = "/api/alerts/inbound";
    private static final String INBOUND_TOKEN = "test-inbound-token";

    private static RequestSpecification inbound() {
        return given().header("Authorization", "Bearer " + INBOUND_TOKEN).contentType(ContentType.JSON);
    }

    /** An Alertmanager webhook (version 4) body of one alert. */
    private static String webhook(String status, String flag, String startsAt, String endsAt) {
        return """
                {"version": "4", "groupKey": "{}/{rollguard_flag=~\\".+\\"}:{alertname=\\"CheckoutErrors\\"}",
                 "truncatedAlerts": 0, "status": "%s", "receiver": "rollguard",
                 "groupLabels": {"alertname": "CheckoutErrors"},
                 "commonLabels": {"alertname": "CheckoutErrors", "severity": "critical", "rollguard_flag": "%s"},
                 "commonAnnotations": {"summary": "5xx ratio above 5 %% on checkout"},
                 "externalURL": "http://alertmanager.example:9093",
                 "alerts": [{"status": "%s",
                             "labels": {"alertname": "CheckoutErrors", "severity": "critical", "rollguard_flag": "%s",
                                        "service": "checkout"},
                             "annotations": {"summary": "5xx ratio above 5 %% on checkout"},
                             "startsAt": "%s", "endsAt": "%s",
                             "generatorURL": "http://prometheus.example:9090/graph?g0.expr=up",
                             "fingerprint": "c0ffee0123456789"}]}"""
                .formatted(status, flag, status, flag, startsAt, endsAt);
    }

    private static List<AlertEvent> published(String fingerprint) {
        return TestKafka.alerts().stream()
                .filter(r -> r.key().equals(fingerprint))
                .map(ConsumerRecord::value)
                .toList();
    }

    @Test
    void anAlertmanagerAlertNamingAFlagIsOneTransitionHoweverOftenItIsSent() {
        String flag = "ext-" + UUID.randomUUID().toString().substring(0, 8);
        String started = "2026-06-01T10:00:00Z";
        String firing = webhook("firing", flag, started, "0001-01-01T00:00:00Z");

        JsonPath first = inbound()
                .body(firing)
                .when()
                .post(PATH)
                .then()
                .statusCode(200)
                .body("received", equalTo(1))
                .body("firing", equalTo(1))
                .extract()
                .jsonPath();
        String fingerprint = first.getString("alerts[0].fingerprint");
        assertThat(fingerprint).matches("[0-9a-f]{32}");
        assertThat(first.getString("alerts[0].flagKey")).isEqualTo(flag);
        assertThat(first.getString("alerts[0].outcome")).isEqualTo("FIRING");

        // Alertmanager's repeat, the other member of an HA pair, a retried delivery: copies, nothing more.
        for (int copy = 0; copy < 3; copy++) {
            inbound()
                    .body(firing)
                    .when()
                    .post(PATH)
                    .then()
                    .statusCode(200)
                    .body("duplicates", equalTo(1))
                    .body("alerts[0].outcome", equalTo("DUPLICATE"))
                    .body("alerts[0].fingerprint", equalTo(fingerprint));
        }
        await().atMost(Duration.ofSeconds(20))
                .until(() -> !published(fingerprint).isEmpty());
        AlertEvent event = published(fingerprint).get(0);
        assertThat(event.getStatus()).isEqualTo(AlertStatus.FIRING);
        assertThat(event.getSeverity()).isEqualTo(Severity.CRITICAL);
        assertThat(event.getFlagKey()).isEqualTo(flag);
        assertThat(event.getComparator()).isEqualTo("EXTERNAL");
        assertThat(event.getRuleId()).isEqualTo("external");
        assertThat(event.getRuleName()).isEqualTo("CheckoutErrors");
        assertThat(event.getCohort()).isNull();
        assertThat(event.getStartsAt()).isEqualTo(Instant.parse(started));
        assertThat(event.getAnnotations())
                .containsEntry("rollguard_source", "http://alertmanager.example:9093")
                .containsEntry("summary", "5xx ratio above 5 % on checkout");
        assertThat(event.getLabels()).containsEntry("service", "checkout").containsEntry("flag", flag);

        // Resolved, then a late copy of the firing notification: one resolution, no second firing.
        inbound()
                .body(webhook("resolved", flag, started, "2026-06-01T10:20:00Z"))
                .when()
                .post(PATH)
                .then()
                .statusCode(200)
                .body("resolved", equalTo(1));
        inbound()
                .body(webhook("resolved", flag, started, "2026-06-01T10:20:00Z"))
                .when()
                .post(PATH)
                .then()
                .statusCode(200)
                .body("duplicates", equalTo(1));
        inbound()
                .body(firing)
                .when()
                .post(PATH)
                .then()
                .statusCode(200)
                .body("duplicates", equalTo(1))
                .body("alerts[0].reason", equalTo("this occurrence (started " + started + ") has resolved already"));
        await().atMost(Duration.ofSeconds(20))
                .until(() -> published(fingerprint).size() >= 2);
        await().during(Duration.ofSeconds(2))
                .atMost(Duration.ofSeconds(10))
                .until(() -> published(fingerprint).size() == 2);
        AlertEvent resolution = published(fingerprint).get(1);
        assertThat(resolution.getStatus()).isEqualTo(AlertStatus.RESOLVED);
        assertThat(resolution.getStartsAt()).isEqualTo(Instant.parse(started));
        assertThat(resolution.getEndsAt()).isEqualTo(Instant.parse("2026-06-01T10:20:00Z"));

        // The same alert firing again later is a new occurrence, with its own id.
        inbound()
                .body(webhook("firing", flag, "2026-06-01T11:00:00Z", "0001-01-01T00:00:00Z"))
                .when()
                .post(PATH)
                .then()
                .statusCode(200)
                .body("firing", equalTo(1));
        await().atMost(Duration.ofSeconds(20))
                .until(() -> published(fingerprint).size() == 3);
        assertThat(published(fingerprint).get(2).getAlertId()).isNotEqualTo(event.getAlertId());

        // The history shows the external alert like Rollguard's own.
        Api.reader()
                .queryParam("fingerprint", fingerprint)
                .queryParam("view", "history")
                .when()
                .get("/api/alerts")
                .then()
                .statusCode(200)
                .body("size()", equalTo(3))
                .body("[0].status", equalTo("FIRING"))
                .body("[0].comparator", equalTo("EXTERNAL"));
    }

    @Test
    void theGenericShapeWithoutTimesKeepsTheFirstStartUntilResolved() {
        String flag = "gen-" + UUID.randomUUID().toString().substring(0, 8);
        String alert =
                """
                {"source": "checkout-slo-monitor", "alerts": [
                  {"labels": {"alertname": "CheckoutLatency", "severity": "Critical", "flag": "%s"},
                   "annotations": {"summary": "p99 above 2 s"}}]}"""
                        .formatted(flag);
        String fingerprint = inbound()
                .body(alert)
                .when()
                .post(PATH)
                .then()
                .statusCode(200)
                .body("firing", equalTo(1))
                .extract()
                .path("alerts[0].fingerprint");
        inbound().body(alert).when().post(PATH).then().statusCode(200).body("duplicates", equalTo(1));
        await().atMost(Duration.ofSeconds(20))
                .until(() -> published(fingerprint).size() == 1);
        AlertEvent event = published(fingerprint).get(0);
        assertThat(event.getFlagKey()).isEqualTo(flag);
        assertThat(event.getSeverity()).isEqualTo(Severity.CRITICAL);
        assertThat(event.getAnnotations()).containsEntry("rollguard_source", "checkout-slo-monitor");

        // A bare array, as posted to Alertmanager's /api/v2/alerts, with an end that has passed: resolved.
        String ended =
                """
                [{"labels": {"alertname": "CheckoutLatency", "severity": "Critical", "flag": "%s"},
                  "endsAt": "%s"}]"""
                        .formatted(flag, Instant.now().minusSeconds(5));
        inbound().body(ended).when().post(PATH).then().statusCode(200).body("resolved", equalTo(1));
        await().atMost(Duration.ofSeconds(20))
                .until(() -> published(fingerprint).size() == 2);
        assertThat(published(fingerprint).get(1).getStartsAt()).isEqualTo(event.getStartsAt());
    }

    @Test
    void aFiringAlertWhoseEndsAtPassesWithoutANewCopyResolvesAndFiresAgainWhenItComesBack() {
        // As Prometheus posts to /api/v2/alerts: a bare array, firing, valid until endsAt, sent again before it.
        String firing =
                """
                [{"labels": {"alertname": "%s", "severity": "critical", "rollguard_flag": "%s"},
                  "startsAt": "%s", "endsAt": "%s"}]""";
        String flag = "exp-" + UUID.randomUUID().toString().substring(0, 8);
        Instant start = Instant.now().minusSeconds(60);

        // Sent again before its endsAt, valid for longer: it still fires after the first endsAt passed. The margins
        // (10 s to send it again, 5 s to post the one that expires) hold on a runner busy with other builds.
        String kept = post(firing.formatted("Kept", flag, start, Instant.now().plusSeconds(10)), "firing");
        post(firing.formatted("Kept", flag, start, Instant.now().plusSeconds(120)), "duplicates");
        await().pollDelay(Duration.ofSeconds(12))
                .during(Duration.ofSeconds(2))
                .atMost(Duration.ofSeconds(20))
                .until(() -> published(kept).size() == 1);

        // Not sent again: it resolves once its endsAt passed, with the reason.
        String expiring =
                post(firing.formatted("Expiring", flag, start, Instant.now().plusSeconds(5)), "firing");
        await().atMost(Duration.ofSeconds(30)).until(() -> published(expiring).size() == 2);
        AlertEvent first = published(expiring).get(0);
        AlertEvent resolved = published(expiring).get(1);
        assertThat(resolved.getStatus()).isEqualTo(AlertStatus.RESOLVED);
        assertThat(resolved.getStartsAt()).isEqualTo(first.getStartsAt());
        assertThat(resolved.getAnnotations().get("reason")).startsWith("expired");
        Api.admin()
                .queryParam("fingerprint", expiring)
                .when()
                .get("/api/alerts")
                .then()
                .body("$", hasSize(0));

        // The sender comes back with the same start, valid ahead (its copies paused past their endsAt): it fires
        // again, as a new occurrence with an id of its own.
        post(firing.formatted("Expiring", flag, start, Instant.now().plusSeconds(120)), "firing");
        await().atMost(Duration.ofSeconds(20)).until(() -> published(expiring).size() == 3);
        AlertEvent again = published(expiring).get(2);
        assertThat(again.getStatus()).isEqualTo(AlertStatus.FIRING);
        assertThat(again.getStartsAt()).isAfter(first.getStartsAt());
        assertThat(again.getAlertId()).isNotEqualTo(first.getAlertId());
        // A late copy of the first occurrence changes nothing.
        post(firing.formatted("Expiring", flag, start, Instant.now().plusSeconds(120)), "duplicates");

        // Both resolved by their sender, so that nothing of this test fires on into the next ones.
        String resolution =
                """
                [{"labels": {"alertname": "%s", "severity": "critical", "rollguard_flag": "%s"},
                  "status": "resolved", "startsAt": "%s", "endsAt": "%s"}]""";
        post(resolution.formatted("Kept", flag, start, Instant.now()), "resolved");
        post(resolution.formatted("Expiring", flag, start, Instant.now()), "resolved");
    }

    /** Posts one alert and checks the answer counts it under {@code outcome}; answers its fingerprint. */
    private static String post(String body, String outcome) {
        return inbound()
                .body(body)
                .when()
                .post(PATH)
                .then()
                .statusCode(200)
                .body(outcome, equalTo(1))
                .extract()
                .path("alerts[0].fingerprint");
    }

    @Test
    void alertsRollguardDoesNotActOnAreAnsweredNotRefused() {
        String body =
                """
                {"version": "4", "alerts": [
                  {"status": "firing", "labels": {"alertname": "DiskFull", "severity": "critical"}},
                  {"status": "firing", "labels": {"alertname": "Info", "severity": "info", "rollguard_flag": "x"}},
                  {"status": "firing", "labels": {"alertname": "NoSeverity", "rollguard_flag": "x"}}]}""";
        inbound()
                .body(body)
                .when()
                .post(PATH)
                .then()
                .statusCode(200)
                .body("received", equalTo(3))
                .body("ignored", equalTo(3))
                .body("alerts[0].reason", equalTo("names no flag (label rollguard_flag)"))
                .body("alerts[1].reason", equalTo("severity 'info': only critical and warning alerts are taken"))
                .body("alerts[2].reason", equalTo("severity missing: only critical and warning alerts are taken"));
    }

    @Test
    void badBodiesAreRefusedNamingTheField() {
        refused("not json", "VALIDATION_FAILED", "body");
        refused("\"text\"", "VALIDATION_FAILED", "body");
        refused(
                "{\"version\": \"3\", \"alerts\": [{\"labels\": {\"alertname\": \"A\"}}]}",
                "VALIDATION_FAILED",
                "version");
        refused("{\"version\": \"4\"}", "VALIDATION_FAILED", "alerts");
        refused("{\"alerts\": []}", "VALIDATION_FAILED", "alerts");
        refused("{\"externalURL\": \"http://am\\u0000\", \"alerts\": [{}]}", "INVALID_CHARACTER", "externalURL");
    }

    @Test
    void aBadAlertIsRejectedAloneAndTheGoodCriticalAlertOfItsGroupIsTaken() {
        String flag = "rej-" + UUID.randomUUID().toString().substring(0, 8);
        String labels =
                "\"alertname\": \"CheckoutErrors\", \"severity\": \"critical\", \"rollguard_flag\": \"" + flag + "\"";
        String manyLabels = java.util.stream.IntStream.range(0, 65)
                .mapToObj(i -> "\"l" + i + "\": \"v\"")
                .collect(java.util.stream.Collectors.joining(", "));
        String body =
                """
                {"version": "4", "externalURL": "http://alertmanager.example:9093", "alerts": [
                  {"status": "firing", "labels": {%s, "service": "checkout"}, "startsAt": "2026-06-01T10:00:00Z"},
                  {"status": "firing", "labels": {%s, "alert-name": "x\\u0001"}},
                  {"status": "firing", "labels": {%s, "service.name": "checkout"},
                   "annotations": {"description": "line one\\r\\nline two\\rline three"},
                   "startsAt": "2026-06-01T10:00:00Z"},
                  {"status": "firing", "labels": {}},
                  {"status": "firing", "labels": {"severity": "critical", "rollguard_flag": "%s"}},
                  {"status": "firing", "labels": {%s, %s}},
                  {"status": "firing", "labels": {%s, "long": "%s"}},
                  "not an alert",
                  {"status": "pending", "labels": {%s}, "startsAt": "yesterday"}]}"""
                        .formatted(labels, labels, labels, flag, labels, manyLabels, labels, "x".repeat(1001), labels);
        JsonPath answer = inbound()
                .body(body)
                .when()
                .post(PATH)
                .then()
                .statusCode(200)
                .body("received", equalTo(9))
                .body("firing", equalTo(2))
                .body("rejected", equalTo(7))
                .body("alerts", hasSize(9))
                .extract()
                .jsonPath();
        assertThat(answer.getList("alerts.index", Integer.class)).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8);
        assertThat(answer.getList("alerts.outcome", String.class))
                .containsExactly(
                        "FIRING",
                        "REJECTED",
                        "FIRING",
                        "REJECTED",
                        "REJECTED",
                        "REJECTED",
                        "REJECTED",
                        "REJECTED",
                        "REJECTED");
        assertThat(answer.getString("alerts[1].reason"))
                .startsWith("alerts[1].labels[alert-name]: contains the character U+0001");
        assertThat(answer.getString("alerts[1].fingerprint")).isNull();
        assertThat(answer.getString("alerts[3].reason"))
                .isEqualTo("alerts[3].labels: must be an object of label names to texts");
        assertThat(answer.getString("alerts[4].reason")).isEqualTo("alerts[4].labels[alertname]: is required");
        assertThat(answer.getString("alerts[5].reason")).isEqualTo("alerts[5].labels: must hold at most 64 labels");
        assertThat(answer.getString("alerts[6].reason"))
                .isEqualTo("alerts[6].labels[long]: must be at most 1000 characters");
        assertThat(answer.getString("alerts[7].reason")).isEqualTo("alerts[7]: must be an object");
        assertThat(answer.getString("alerts[8].reason"))
                .isEqualTo("alerts[8].startsAt: must be an RFC 3339 time, e.g. 2026-03-02T09:15:00Z; alerts[8].status:"
                        + " must be firing or resolved");

        // The good critical alert, and the one with a UTF-8 label name and CRs in its description, go out on alerts.
        String fingerprint = answer.getString("alerts[0].fingerprint");
        String utf8 = answer.getString("alerts[2].fingerprint");
        await().atMost(Duration.ofSeconds(20))
                .until(() ->
                        !published(fingerprint).isEmpty() && !published(utf8).isEmpty());
        AlertEvent event = published(fingerprint).get(0);
        assertThat(event.getStatus()).isEqualTo(AlertStatus.FIRING);
        assertThat(event.getSeverity()).isEqualTo(Severity.CRITICAL);
        assertThat(event.getFlagKey()).isEqualTo(flag);
        AlertEvent otel = published(utf8).get(0);
        assertThat(otel.getLabels()).containsEntry("service.name", "checkout");
        assertThat(otel.getAnnotations()).containsEntry("description", "line one\nline two\nline three");
    }

    private static void refused(String body, String code, String field) {
        JsonPath error = inbound()
                .body(body)
                .when()
                .post(PATH)
                .then()
                .statusCode(400)
                .contentType(ContentType.JSON)
                .body("code", equalTo(code))
                .extract()
                .jsonPath();
        if (code.equals("VALIDATION_FAILED")) {
            assertThat(error.getList("violations.field", String.class))
                    .as(body + " -> " + error.prettify())
                    .contains(field);
        } else {
            assertThat(error.getString("message")).as(body).startsWith(field + ": ");
        }
    }

    @Test
    void onlyInboundAndAdminTokensMayPostAndInboundTokensNothingElse() {
        String body = "[{\"labels\": {\"alertname\": \"A\", \"severity\": \"critical\"}}]";
        given().contentType(ContentType.JSON)
                .body(body)
                .when()
                .post(PATH)
                .then()
                .statusCode(401);
        Api.reader().body(body).when().post(PATH).then().statusCode(403).body("code", equalTo("FORBIDDEN"));
        Api.admin().body(body).when().post(PATH).then().statusCode(200).body("ignored", equalTo(1));
        inbound().when().get("/api/rules").then().statusCode(403).body("code", equalTo("FORBIDDEN"));
        inbound().when().get("/api/alerts").then().statusCode(403);
        inbound().body("{}").when().post("/api/webhooks").then().statusCode(403);
    }
}
