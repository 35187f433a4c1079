package dev.rollguard.console.rest;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rollguard.console.ServiceStub;
import dev.rollguard.console.StubbedServices;
import dev.rollguard.console.client.ApiResult;
import dev.rollguard.console.client.ServiceClient;
import dev.rollguard.console.session.OperatorSession;
import dev.rollguard.console.session.SessionStore;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What an operator on call relies on, with the services answering from {@link ServiceStub}: every write names the
 * person signed in ({@code X-Rollguard-Actor}), the audit log and the alerts page through the services' cursors, and
 * figures with their units.
 */
@QuarkusTest
@QuarkusTestResource(value = StubbedServices.class, restrictToAnnotatedClass = true)
class OperatorPagesTest {

    private static final String FLAG = "checkout.new-flow";
    private static final String TOKEN = "operator-pages-token";
    /** A form as a browser sends it from the console's UTF-8 pages. */
    private static final String UTF8_FORM = "application/x-www-form-urlencoded; charset=UTF-8";

    private static ServiceStub stub;

    @Inject
    SessionStore sessions;

    @Inject
    ServiceClient services;

    @BeforeEach
    void services() {
        stub = StubbedServices.stub();
        stub.reset();
        stub.answer("/api/flags", 200, "[]");
        stub.answer("/api/kill-switch", 200, "{\"killed\": false}");
        stub.answer(
                "/api/flags/" + FLAG,
                200,
                """
                {"key": "%s", "enabled": true, "rolloutPercentage": 10,
                 "stages": [{"name": "canary", "percentage": 10, "minSoakSeconds": 600},
                            {"name": "all", "percentage": 100, "minSoakSeconds": 0}],
                 "currentStage": 0, "stageVersion": 7, "version": 7}
                """
                        .formatted(FLAG));
        stub.answer("/api/audit", 200, "[]");
        stub.answer("/api/alerts", 200, "[]");
        stub.answer("/api/rollbacks", 200, "[]");
        stub.answer("/api/guard", 200, "[]");
    }

    @Test
    void theNameGivenAtSignInIsTheActorOfEveryWrite() {
        Response signIn = given().redirects()
                .follow(false)
                .contentType(ContentType.URLENC)
                .formParam("token", TOKEN)
                .formParam("operator", "  Ana Lima  ")
                .post("/login");
        assertThat(signIn.statusCode()).isEqualTo(303);
        String cookie = signIn.cookie(SessionStore.COOKIE);
        OperatorSession session = sessions.find(cookie).orElseThrow();
        assertThat(session.operator()).isEqualTo("Ana Lima");
        stub.answer("/api/flags/" + FLAG + "/kill", 200, "{}");
        stub.answer("/api/flags/" + FLAG + "/rollout/promote", 200, "{}");
        stub.answer("/api/silences/s-1", 204, "");
        stub.answer("/api/silences", 200, "[]");

        assertThat(signedIn(cookie).get("/flags").asString())
                .contains("id=\"operator\" title=\"signed in as\">Ana Lima");
        assertThat(signedIn(cookie)
                        .contentType(ContentType.URLENC)
                        .formParam("reason", "checkout errors")
                        .formParam("_csrf", session.csrf())
                        .post("/flags/" + FLAG + "/kill")
                        .statusCode())
                .isEqualTo(303);
        assertThat(signedIn(cookie)
                        .contentType(ContentType.URLENC)
                        .formParam("reason", "looks fine")
                        .formParam("_csrf", session.csrf())
                        .post("/flags/" + FLAG + "/rollout/promote")
                        .statusCode())
                .isEqualTo(303);
        // Ending a silence without typing a name names the operator signed in.
        assertThat(signedIn(cookie)
                        .contentType(ContentType.URLENC)
                        .formParam("expiredBy", "")
                        .formParam("_csrf", session.csrf())
                        .post("/silences/s-1/expire")
                        .statusCode())
                .isEqualTo(303);

        List<ServiceStub.Seen> writes =
                stub.seen().stream().filter(r -> !r.method().equals("GET")).toList();
        assertThat(writes)
                .extracting(ServiceStub.Seen::pathAndQuery)
                .containsExactly(
                        "/api/flags/" + FLAG + "/kill", "/api/flags/" + FLAG + "/rollout/promote", "/api/silences/s-1");
        assertThat(writes).allSatisfy(w -> assertThat(w.actor()).isEqualTo("Ana Lima"));
        assertThat(writes).allSatisfy(w -> assertThat(w.authorization()).isEqualTo("Bearer " + TOKEN));
    }

    @Test
    void signInAsksTheFlagServiceItsTwoQuestionsAtOnce() {
        // Once without a delay, so that the timed sign-in measures the flag-service's answers, not a first request.
        signInAs("Ana Lima");
        Duration slow = Duration.ofMillis(1500);
        stub.delay("/api/flags", slow);
        stub.delay("/api/audit", slow);

        long started = System.nanoTime();
        OperatorSession session = signInAs("Ana Lima");
        long tookMs = (System.nanoTime() - started) / 1_000_000;

        // One after the other they take at least 3 s.
        assertThat(tookMs).isLessThan(slow.toMillis() * 18 / 10);
        assertThat(session.canWrite()).isTrue();
        assertThat(session.tokenKind()).isEqualTo("admin");
        assertThat(stub.seen())
                .extracting(ServiceStub.Seen::pathAndQuery)
                .containsExactlyInAnyOrder("/api/flags", "/api/audit?limit=1", "/api/flags", "/api/audit?limit=1");
    }

    @Test
    void signInSaysWhyATokenIsRefusedOrReadOnly() {
        stub.answer("/api/flags", 401, "{\"code\": \"UNAUTHENTICATED\", \"message\": \"unknown or revoked token\"}");
        stub.answer("/api/audit", 401, "{\"code\": \"UNAUTHENTICATED\", \"message\": \"unknown or revoked token\"}");
        Response unknown = signIn("Ana Lima");
        assertThat(unknown.statusCode()).isEqualTo(401);
        assertThat(unknown.asString()).contains("The flag-service does not know this token.");
        assertThat(unknown.cookie(SessionStore.COOKIE)).isNull();

        stub.answer("/api/flags", 403, "{\"code\": \"FORBIDDEN\", \"message\": \"a client token may not\"}");
        stub.answer("/api/audit", 403, "{\"code\": \"FORBIDDEN\", \"message\": \"a client token may not\"}");
        Response client = signIn("Ana Lima");
        assertThat(client.statusCode()).isEqualTo(401);
        assertThat(client.asString()).contains("This token may not read flags (client tokens only evaluate them).");
        assertThat(client.cookie(SessionStore.COOKIE)).isNull();

        stub.answer("/api/flags", 200, "[]");
        OperatorSession service = signInAs("Ana Lima");
        assertThat(service.canWrite()).isFalse();
        assertThat(service.tokenKind()).isEqualTo("read-only");

        stub.dropConnections("/api/flags");
        stub.dropConnections("/api/audit");
        Response unreachable = signIn("Ana Lima");
        assertThat(unreachable.statusCode()).isEqualTo(503);
        assertThat(unreachable.asString())
                .contains("The flag-service could not check the token: flag-service is unavailable:");
        assertThat(unreachable.cookie(SessionStore.COOKIE)).isNull();

        // Slower than the page deadline (5 s), within the 10 s a single call may take.
        stub.answer("/api/flags", 200, "[]");
        stub.delay("/api/flags", Duration.ofSeconds(7));
        Response late = signIn("Ana Lima");
        assertThat(late.statusCode()).isEqualTo(503);
        assertThat(late.asString())
                .contains("The flag-service could not check the token: flag-service is unavailable: no answer within"
                        + " 5 s");
        assertThat(late.cookie(SessionStore.COOKIE)).isNull();
    }

    @Test
    void aSessionWithoutANameSendsNoActorAndANameOfTwoLinesIsRefused() {
        OperatorSession nameless = sessions.open(TOKEN, "admin", true);
        stub.answer("/api/flags/" + FLAG + "/kill", 200, "{}");

        signedIn(nameless.id())
                .contentType(ContentType.URLENC)
                .formParam("reason", "checkout errors")
                .formParam("_csrf", nameless.csrf())
                .post("/flags/" + FLAG + "/kill");
        Response twoLines = given().redirects()
                .follow(false)
                .contentType(ContentType.URLENC)
                .formParam("token", TOKEN)
                .formParam("operator", "Ana\r\nX-Injected: yes")
                .post("/login");

        assertThat(stub.seen())
                .filteredOn(r -> r.method().equals("POST"))
                .singleElement()
                .satisfies(w -> assertThat(w.actor()).isNull());
        assertThat(twoLines.statusCode()).isEqualTo(400);
        assertThat(twoLines.asString()).contains("Your name must be one line of at most 200 characters.");
        assertThat(twoLines.cookie(SessionStore.COOKIE)).isNull();
    }

    @Test
    void theAuditLogPagesOnWithTheFlagServicesCursor() {
        OperatorSession s = sessions.open(TOKEN, "admin", true);
        stub.answer("/api/audit", 200, auditRows(100, 50));

        String first = page(s, "/flags/" + FLAG);

        assertThat(first)
                .contains("href=\"/flags/" + FLAG + "?auditBefore=51#audit-title\" id=\"audit-older\"")
                .doesNotContain("id=\"audit-newest\"");
        stub.answer("/api/audit", 200, auditRows(50, 20));

        String older = page(s, "/flags/" + FLAG + "?auditBefore=51");

        assertThat(stub.seen())
                .extracting(ServiceStub.Seen::pathAndQuery)
                .contains("/api/audit?limit=50&flag=" + FLAG + "&before=51");
        // The last page: fewer rows than asked for, nothing older to offer.
        assertThat(older)
                .contains("href=\"/flags/" + FLAG + "#audit-title\" id=\"audit-newest\"")
                .doesNotContain("id=\"audit-older\"")
                .contains("data-action=\"UPDATE\"");
        assertThat(signedIn(s.id()).get("/flags/" + FLAG + "?auditBefore=-3").statusCode())
                .isEqualTo(400);
        assertThat(signedIn(s.id()).get("/flags/" + FLAG + "?auditBefore=abc").asString())
                .contains("a positive whole number");
    }

    @Test
    void theAlertsPagePagesOnWithTheAlertServicesCursor() {
        OperatorSession s = sessions.open(TOKEN, "admin", true);
        stub.handle(
                "/api/alerts",
                r -> new ServiceStub.Answer(
                        200, r.pathAndQuery().contains("view=history") ? alertRows(900, 100) : "[]"));

        String first = page(s, "/alerts");

        assertThat(first).contains("href=\"/alerts?before=801\" id=\"alerts-older\"");
        stub.handle(
                "/api/alerts",
                r -> new ServiceStub.Answer(
                        200, r.pathAndQuery().contains("view=history") ? alertRows(800, 10) : "[]"));

        String older = page(s, "/alerts?before=801");

        assertThat(stub.seen())
                .extracting(ServiceStub.Seen::pathAndQuery)
                .contains("/api/alerts?view=history&limit=100&before=801");
        assertThat(older)
                .contains("id=\"alerts-newest\"")
                .doesNotContain("id=\"alerts-older\"")
                .doesNotContain("data-live=\"alert\"");
        assertThat(signedIn(s.id()).get("/alerts?before=0").statusCode()).isEqualTo(400);
    }

    @Test
    void aTransitionTheAlertServiceDeadLetteredIsSaidNotDeliveredWithItsReason() {
        OperatorSession s = sessions.open(TOKEN, "admin", true);
        String reason = "refused by Kafka: the record is 1200000 bytes\\n\\u202Elarger than <b>max.message.bytes</b>";
        stub.handle(
                "/api/alerts",
                r -> new ServiceStub.Answer(
                        200,
                        r.pathAndQuery().contains("view=active")
                                ? "["
                                        + delivered(
                                                1,
                                                "{\"state\": \"DEAD_LETTERED\", \"at\": \"2026-12-01T10:00:02Z\","
                                                        + " \"reason\": \"" + reason + "\"}")
                                        + "]"
                                : "["
                                        + delivered(2, "{\"state\": \"DEAD_LETTERED\", \"at\": 1764583202000}") + ","
                                        + delivered(3, "{\"state\": \"PUBLISHED\", \"at\": \"2026-12-01T10:00:02Z\"}")
                                        + "," + delivered(4, "{\"state\": \"PENDING\"}") + ","
                                        + delivered(5, "{\"state\": \"REQUEUED\", \"reason\": \"later\"}") + ","
                                        + delivered(6, null) + "," + delivered(7, "\"DEAD_LETTERED\"") + "]"));

        String page = page(s, "/alerts");

        String notDelivered = "class=\"badge-undelivered\"";
        // Firing now: the reason as text, on one line, escaped.
        assertThat(row(page, "a-1"))
                .contains(notDelivered)
                .contains("<span class=\"undelivered-reason\">refused by Kafka: the record is 1200000 bytes larger"
                        + " than &lt;b&gt;max.message.bytes&lt;/b&gt;</span>")
                .doesNotContain("\u202E");
        // Recent transitions: a dead-lettered one without a reason still says so.
        assertThat(row(page, "a-2"))
                .contains(notDelivered)
                .contains("<span class=\"undelivered-reason\">no reason given</span>");
        // Published, pending, a state added later, none given (an older alert-service) or not an object: nothing.
        for (String id : List.of("a-3", "a-4", "a-5", "a-6", "a-7")) {
            assertThat(row(page, id)).as(id).doesNotContain(notDelivered).doesNotContain("undelivered");
        }
    }

    /** An alert's transition with {@code delivery} (JSON), or without one when it is null. */
    private static String delivered(int seq, String delivery) {
        String alert = alert(seq, "errorRate", "GT", 0.05, 0.1).strip();
        return delivery == null ? alert : alert.substring(0, alert.length() - 1) + ", \"delivery\": " + delivery + "}";
    }

    /** The row of alert {@code alertId} on a page. */
    private static String row(String page, String alertId) {
        int start = page.indexOf("data-alert=\"" + alertId + "\"");
        assertThat(start).as(alertId).isNotNegative();
        return page.substring(start, page.indexOf("</tr>", start));
    }

    @Test
    void theRollbacksPagePagesOnWithTheRollbackServicesCursor() {
        OperatorSession s = sessions.open(TOKEN, "admin", true);
        // The cursor is the last row's id, opaque: here it holds ':', '/', '&', '+' and a space.
        stub.handle(
                "/api/rollbacks",
                r -> new ServiceStub.Answer(
                        200, r.pathAndQuery().contains("before=") ? rollbackRows(10) : rollbackRows(100)));

        String first = page(s, "/rollbacks?flag=" + FLAG);

        assertThat(stub.seen())
                .extracting(ServiceStub.Seen::pathAndQuery)
                .containsExactly("/api/rollbacks?limit=100&flag=" + FLAG);
        String older = "/rollbacks?flag=" + FLAG + "&amp;before=" + "f%2Fp%2699%20x%2By%3A1764583200000";
        assertThat(first)
                .contains("href=\"" + older + "\" id=\"rollbacks-older\"")
                .doesNotContain("id=\"rollbacks-newest\"")
                .contains("data-live=\"rollback\"")
                // Each action's evidence is linked by its id, encoded.
                .contains("href=\"/rollbacks/evidence?id=f%2Fp%260%20x%2By%3A1764583200000\"");

        // Followed as a browser follows the link.
        String second = signedIn(s.id())
                .urlEncodingEnabled(false)
                .get(older.replace("&amp;", "&"))
                .asString();

        assertThat(stub.seen())
                .extracting(ServiceStub.Seen::pathAndQuery)
                .contains("/api/rollbacks?limit=100&flag=" + FLAG + "&before=f%2Fp%2699%20x%2By%3A1764583200000");
        // The last page: fewer rows than asked for, nothing older to offer, not live.
        assertThat(second)
                .contains("href=\"/rollbacks?flag=" + FLAG + "\" id=\"rollbacks-newest\"")
                .contains("f/p&amp;9 x+y:1764583200000")
                .doesNotContain("id=\"rollbacks-older\"")
                .doesNotContain("data-live=\"rollback\"");
    }

    @Test
    void aRollbacksPageThatIsNotFullOffersNoOlderOne() {
        OperatorSession s = sessions.open(TOKEN, "admin", true);
        stub.answer("/api/rollbacks", 200, rollbackRows(99));

        String page = page(s, "/rollbacks");

        assertThat(stub.seen()).extracting(ServiceStub.Seen::pathAndQuery).containsExactly("/api/rollbacks?limit=100");
        assertThat(page)
                .contains("f/p&amp;98 x+y:1764583200000")
                .doesNotContain("id=\"rollbacks-older\"")
                .doesNotContain("id=\"rollbacks-newest\"");
    }

    @Test
    void aCursorTheRollbackServiceRefusesIsThePagesError() {
        OperatorSession s = sessions.open(TOKEN, "admin", true);
        stub.answer(
                "/api/rollbacks",
                400,
                """
                {"code": "INVALID_CURSOR", "message": "No rollback action with id gone:1. before takes the id of the\
                 last action of the previous page."}
                """);

        Response refused = signedIn(s.id()).urlEncodingEnabled(false).get("/rollbacks?before=gone%3A1");

        assertThat(stub.seen())
                .extracting(ServiceStub.Seen::pathAndQuery)
                .containsExactly("/api/rollbacks?limit=100&before=gone%3A1");
        assertThat(refused.statusCode()).isEqualTo(200);
        assertThat(refused.asString())
                .contains("id=\"rollbacks-error\">The guard's actions: Unknown (the rollback-service answered No"
                        + " rollback action with id gone:1. before takes the id of the last action of the previous"
                        + " page. (INVALID_CURSOR)).")
                .contains("href=\"/rollbacks\" id=\"rollbacks-newest\"")
                .doesNotContain("id=\"rollbacks-older\"")
                .doesNotContain("id=\"no-rollbacks\"");
    }

    @Test
    void aRefusalQuotingControlOrBidiCharactersIsShownOnOneLineInItsOrder() {
        OperatorSession s = sessions.open(TOKEN, "admin", true);
        // The rollback-service repeats the filter a client sent; a right-to-left override in it would reorder the
        // rest of the line on the page, a line break would start a line the service never wrote.
        stub.answer(
                "/api/rollbacks",
                400,
                """
                {"code": "VALIDATION_FAILED", "message": "flag 'ab\\u202Ecd' is not\\nknown",
                 "violations": [{"field": "list.flag\\u2067", "message": "'ab\\u202Ecd' is not\\r\\na key\\u200F"}]}
                """);

        String page = page(s, "/rollbacks?flag=ab");

        assertThat(page)
                .contains("Unknown (the rollback-service answered flag &#39;ab cd&#39; is not known list.flag:"
                        + " &#39;ab cd&#39; is not a key (VALIDATION_FAILED)).")
                .doesNotContain("\u202E")
                .doesNotContain("\u2067")
                .doesNotContain("\u200F");
    }

    @Test
    void aFilterTheRollbackServiceRefusesIsSaidWithTheFieldItNames() {
        OperatorSession s = sessions.open(TOKEN, "admin", true);
        stub.answer(
                "/api/rollbacks",
                400,
                """
                {"code": "VALIDATION_FAILED", "message": "The request is invalid.",
                 "violations": [{"field": "list.flag", "message": "size must be between 1 and 200"}]}
                """);

        String page = page(s, "/rollbacks?flag=" + "x".repeat(201));

        assertThat(page)
                .contains("id=\"rollbacks-error\">The guard's actions: Unknown (the rollback-service answered The"
                        + " request is invalid. list.flag: size must be between 1 and 200 (VALIDATION_FAILED)).")
                .doesNotContain("id=\"no-rollbacks\"");
    }

    @Test
    void ratesDurationsAndSharesAreShownWithTheirUnits() {
        OperatorSession s = sessions.open(TOKEN, "admin", true);
        stub.handle(
                "/api/alerts",
                r -> new ServiceStub.Answer(
                        200,
                        "["
                                + alert(1, "errorRate", "GT", 0.05, 0.123)
                                + ","
                                + alert(2, "durationP95Ms", "GT", 10000, 850)
                                + ","
                                + alert(3, "storageUsedPctMax", "GTE", 90, 93.5)
                                + "]"));
        stub.answer(
                "/api/rollbacks",
                200,
                """
                [{"id": "fp:1", "flagKey": "%s", "action": "KILL", "outcome": "APPLIED", "ruleName": "Guard",
                  "metric": "failure", "comparator": "GUARD", "threshold": 0.2, "observedValue": 0.0311,
                  "alertStartsAt": "2026-12-01T10:00:00Z", "decidedAt": "2026-12-01T10:00:01Z"}]
                """
                        .formatted(FLAG));

        String alerts = page(s, "/alerts");
        String rollbacks = page(s, "/rollbacks");

        assertThat(alerts)
                .contains("errorRate 12.3 %; GT 5.0 %")
                .contains("durationP95Ms 850 ms; GT 10.0 s")
                .contains("storageUsedPctMax 93.5 %; GTE 90.0 %");
        assertThat(rollbacks).contains("failure 3.11 %; GUARD tolerance: at most 20 % worse than control");
    }

    @Test
    void aGlobalKillSwitchThatCannotBeReadIsUnknownNotOff() {
        OperatorSession s = sessions.open(TOKEN, "admin", true);
        stub.answer("/api/kill-switch", 503, "{\"code\": \"UNAVAILABLE\", \"message\": \"database down\"}");

        String page = page(s, "/flags");

        assertThat(page)
                .contains("id=\"global-unknown\">The global kill switch is unknown: database down.</section>")
                .doesNotContain("Global kill switch is off.");
    }

    @Test
    void aHealthReportThatCannotBeBuiltIsAnsweredWithAStatusThatSaysSo() {
        OperatorSession s = sessions.open(TOKEN, "admin", true);
        stub.answer("/api/health-report", 200, "text/plain;charset=UTF-8", REPORT);
        Response built = signedIn(s.id()).get("/health-report?flag=" + FLAG + "&cohort=TREATMENT");
        assertThat(built.statusCode()).isEqualTo(200);
        assertThat(built.asString())
                .contains("id=\"report\"")
                .contains("║   Total Syncs:      12")
                .doesNotContain("class=\"error\"");
        assertThat(stub.seen())
                .filteredOn(r -> r.pathAndQuery().startsWith("/api/health-report"))
                .singleElement()
                .satisfies(r -> assertThat(r.pathAndQuery())
                        .isEqualTo("/api/health-report?flag=" + FLAG + "&cohort=TREATMENT"));

        // metrics-ingest fails, its stores restore, a proxy answers for it, or it cannot be reached: 502, the form
        // and why, never a 200 that a check could take for a report.
        stub.answer("/api/health-report", 500, "{\"code\": \"INTERNAL\", \"message\": \"the store is down\"}");
        assertThat(healthReport(s, 502))
                .contains("metrics-ingest could not build the report: the store is down (INTERNAL).");
        stub.answer(
                "/api/health-report",
                503,
                "{\"code\": \"UNAVAILABLE\", \"message\": \"the window store is restoring\"}");
        assertThat(healthReport(s, 502)).contains("the window store is restoring (UNAVAILABLE).");
        stub.answer("/api/health-report", 502, "<html><body><h1>Bad gateway</h1></body></html>");
        assertThat(healthReport(s, 502))
                .contains("metrics-ingest could not build the report: HTTP 502.")
                .doesNotContain("Bad gateway");
        stub.dropConnections("/api/health-report");
        assertThat(healthReport(s, 502))
                .contains(
                        "metrics-ingest could not build the report: metrics-ingest is unavailable: the connection closed before an answer.");

        // What was asked refused: 400 with the field named; a token that may not read it: 403.
        stub.answer(
                "/api/health-report",
                400,
                """
                {"code": "VALIDATION_FAILED", "message": "invalid request",
                 "violations": [{"field": "cohort", "message": "must be TREATMENT or CONTROL"}]}
                """);
        assertThat(healthReport(s, 400))
                .contains("invalid request cohort: must be TREATMENT or CONTROL (VALIDATION_FAILED).");
        stub.answer("/api/health-report", 403, "{\"code\": \"FORBIDDEN\", \"message\": \"admin token required\"}");
        assertThat(healthReport(s, 403))
                .contains("Your token may not read the health report (admin token required, FORBIDDEN).");
    }

    @Test
    void aHealthReportQuotingMarkupIsShown() {
        OperatorSession s = sessions.open(TOKEN, "admin", true);
        // The report lists recent errors with the table and code a producer chose, such as "<timeout>".
        String report =
                """
                ╔════════════════════════════════════════════════════════════╗
                ║          REPLICATION SYSTEM HEALTH REPORT                  ║
                ║ Recent Errors:      2                                      ║
                ║   2026-12-06T10:00:00Z orders <timeout>                    ║
                ║   2026-12-06T10:00:01Z <b>cart</b> <!--x-->                ║
                ╚════════════════════════════════════════════════════════════╝
                """;
        stub.answer("/api/health-report", 200, "text/plain;charset=UTF-8", report);

        Response shown = signedIn(s.id()).get("/health-report");

        assertThat(shown.statusCode()).as(shown.asString()).isEqualTo(200);
        assertThat(shown.asString())
                .contains("id=\"report\"")
                .contains("orders &lt;timeout&gt;")
                .contains("&lt;b&gt;cart&lt;/b&gt; &lt;!--x--&gt;")
                .doesNotContain("<b>cart</b>")
                .doesNotContain("class=\"error\"");
    }

    @Test
    void aHealthReportPageAnswered200IsNoReport() {
        OperatorSession s = sessions.open(TOKEN, "admin", true);
        // A proxy (or a sign-in page in front of metrics-ingest) answers 200 with its own HTML page.
        stub.answer(
                "/api/health-report",
                200,
                "text/html; charset=utf-8",
                "<!DOCTYPE html><html><body><h1>Sign in to continue</h1><form action=\"/sso\"></form></body></html>");
        assertThat(healthReport(s, 502))
                .contains("metrics-ingest answered a page that is not a report (HTTP 200).")
                .doesNotContain("Sign in to continue")
                .doesNotContain("/sso");

        // An HTML page is one by its type, tags or none.
        stub.answer("/api/health-report", 200, "TEXT/HTML", "Please sign in to continue");
        assertThat(healthReport(s, 502))
                .contains("metrics-ingest answered a page that is not a report (HTTP 200).")
                .doesNotContain("Please sign in");

        // A page that does not say its type, or says another, is one by how it begins.
        stub.answer("/api/health-report", 200, null, "\n  <html><body>Sign in to continue</body></html>");
        assertThat(healthReport(s, 502))
                .contains("metrics-ingest answered a page that is not a report (HTTP 200).")
                .doesNotContain("Sign in to continue");
        stub.answer("/api/health-report", 200, "<!doctype html><title>Sign in to continue</title>");
        assertThat(healthReport(s, 502))
                .contains("metrics-ingest answered a page that is not a report (HTTP 200).")
                .doesNotContain("Sign in to continue");
    }

    /** metrics-ingest's text report as it begins and ends (HealthReportText). */
    static final String REPORT =
            """
            ╔════════════════════════════════════════════════════════════╗
            ║              REPLICATION SYSTEM HEALTH REPORT              ║
            ╠════════════════════════════════════════════════════════════╣
            ║   Total Syncs:      12                                     ║
            ╚════════════════════════════════════════════════════════════╝
            """;

    @Test
    void aHealthReportAnswered200ThatIsNotAReportIsNoReport() {
        OperatorSession s = sessions.open(TOKEN, "admin", true);
        // A gateway in front of metrics-ingest answers 200 with its own plain text.
        stub.answer("/api/health-report", 200, "text/plain", "upstream OK: all routes healthy");
        assertThat(healthReport(s, 502))
                .contains("metrics-ingest gave an unexpected answer that is not a report (HTTP 200 of type"
                        + " text/plain).")
                .doesNotContain("upstream OK");

        // The report's shape in another type, and JSON of another shape, are no report either.
        stub.answer("/api/health-report", 200, "application/json", REPORT);
        assertThat(healthReport(s, 502))
                .contains("metrics-ingest gave an unexpected answer that is not a report (HTTP 200 of type"
                        + " application/json).")
                .doesNotContain("Total Syncs");
        stub.answer("/api/health-report", 200, "{\"status\": \"UP\"}");
        assertThat(healthReport(s, 502)).contains("(HTTP 200 of type application/json).");
        stub.answer("/api/health-report", 200, "text/plain", "+------+\n| all  |\n+------+");
        assertThat(healthReport(s, 502))
                .contains("(HTTP 200 of type text/plain).")
                .doesNotContain("| all  |");
        stub.answer("/api/health-report", 200, null, REPORT);
        assertThat(healthReport(s, 502)).contains("(HTTP 200 without a Content-Type).");
    }

    @Test
    void aServiceAnswering200WithTextOrJsonOfAnotherShapeIsUnknownNeverShown() {
        OperatorSession s = sessions.open(TOKEN, "admin", true);
        String unexpected = "gave an unexpected answer: HTTP 200 of type text/plain, not JSON";
        // A gateway answers 200 in plain text; its "[]" is not the alert-service's empty list.
        stub.answer("/api/alerts", 200, "text/plain", "[]");
        assertThat(page(s, "/alerts"))
                .contains("id=\"active-error\">What is firing now: Unknown (alert-service " + unexpected + ").")
                .contains("id=\"recent-error\">The alert-service's history: Unknown (alert-service " + unexpected)
                .doesNotContain("Nothing is firing.");

        stub.answer("/api/flags", 200, "text/plain", "[]");
        stub.answer("/api/kill-switch", 200, "{\"status\": \"ok\"}");
        Response flags = signedIn(s.id()).get("/flags");
        assertThat(flags.statusCode()).isEqualTo(502);
        assertThat(flags.asString())
                .contains("Flags could not be read: Unknown (flag-service " + unexpected + ").")
                .contains("The global kill switch is unknown: flag-service gave an unexpected answer: HTTP 200 that"
                        + " is not the kill switch.")
                .doesNotContain("Global kill switch is off.")
                .doesNotContain("No flags yet.");

        stub.answer("/api/flags/" + FLAG, 200, "text/plain", "{\"key\": \"" + FLAG + "\"}");
        Response flag = signedIn(s.id()).get("/flags/" + FLAG);
        assertThat(flag.statusCode()).isEqualTo(502);
        assertThat(flag.asString()).contains("Flag " + FLAG + " could not be read: flag-service " + unexpected + "<");
        stub.answer("/api/flags/" + FLAG, 200, "{\"items\": []}");
        assertThat(signedIn(s.id()).get("/flags/" + FLAG).asString())
                .contains("Flag " + FLAG + " could not be read: flag-service gave an unexpected answer: HTTP 200 that"
                        + " is not a flag<");

        stub.answer("/api/guard", 200, "text/plain", "[]");
        Response guard = signedIn(s.id()).get("/guard");
        assertThat(guard.statusCode()).isEqualTo(502);
        assertThat(guard.asString())
                .contains("The guard&#39;s verdicts are unavailable: alert-service " + unexpected + ".");
        stub.answer("/api/flags/" + FLAG + "/rollout", 200, "text/plain", "{}");
        assertThat(page(s, "/flags/" + FLAG + "/rollout"))
                .contains("id=\"rollout-error\">The rollout timeline is unavailable: flag-service " + unexpected
                        + " (UNEXPECTED_ANSWER).</p>");
    }

    @Test
    void aPageReadWhoseAnswerStallsIsCancelledAtThePageDeadline() throws Exception {
        OperatorSession s = sessions.open(TOKEN, "admin", true);
        // The alert-service sends the headers of its answer to the alerts read, then nothing more.
        stub.stallBody("/api/alerts");

        String alerts = CompletableFuture.supplyAsync(() -> page(s, "/alerts")).get(20, TimeUnit.SECONDS);

        assertThat(alerts).contains("no answer within 5 s");
        await().atMost(Duration.ofSeconds(15))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> !stub.abandoned().isEmpty());
        assertThat(stub.abandoned())
                .allSatisfy(closed -> assertThat(closed.path()).isEqualTo("/api/alerts"));
    }

    private static String healthReport(OperatorSession s, int status) {
        Response response = signedIn(s.id()).get("/health-report");
        assertThat(response.statusCode()).as(response.asString()).isEqualTo(status);
        assertThat(response.contentType()).startsWith("text/html");
        String page = response.asString();
        assertThat(page)
                .contains("<h1>Health report</h1>")
                .contains("action=\"/health-report\"")
                .contains("class=\"error\" role=\"alert\"")
                .doesNotContain("id=\"report\"");
        return page;
    }

    @Test
    void flagsThatCannotBeReadAreUnknownNotNoFlags() {
        OperatorSession s = sessions.open(TOKEN, "admin", true);
        stub.answer("/api/flags", 500, "{\"code\": \"INTERNAL\", \"message\": \"database down\"}");

        Response failed = signedIn(s.id()).get("/flags");
        assertThat(failed.statusCode()).isEqualTo(502);
        assertThat(failed.asString())
                .contains("Flags could not be read: Unknown (the flag-service answered database down (INTERNAL)).")
                .contains("id=\"no-flags\">Unknown: the flags could not be read.")
                .doesNotContain("No flags yet.");

        // A 200 that is not a list (a proxy's page, another API) is not an empty list either.
        stub.answer("/api/flags", 200, "{\"items\": []}");
        Response notAList = signedIn(s.id()).get("/flags");
        assertThat(notAList.statusCode()).isEqualTo(502);
        assertThat(notAList.asString())
                .contains("Flags could not be read: Unknown (the flag-service answered something that is not a list).")
                .doesNotContain("No flags yet.");
    }

    @Test
    void theFlagSearchOfHtmxShowsUnknownWhenTheFlagsCannotBeRead() {
        OperatorSession s = sessions.open(TOKEN, "admin", true);
        stub.answer("/api/flags", 500, "{\"code\": \"INTERNAL\", \"message\": \"database down\"}");

        // htmx swaps no 5xx answer: the search box would keep the rows of before instead of saying Unknown.
        Response search = signedIn(s.id()).header("HX-Request", "true").get("/flags?q=check");
        assertThat(search.statusCode()).isEqualTo(200);
        assertThat(search.asString())
                .contains("id=\"flag-rows\"")
                .contains("id=\"no-flags\">Unknown: the flags could not be read.")
                .doesNotContain("No flag matches");
        // The whole page keeps its 502.
        assertThat(signedIn(s.id()).get("/flags?q=check").statusCode()).isEqualTo(502);

        stub.answer("/api/segments", 503, "{\"code\": \"UNAVAILABLE\", \"message\": \"database down\"}");
        Response segments = signedIn(s.id()).header("HX-Request", "true").get("/segments");
        assertThat(segments.statusCode()).isEqualTo(200);
        assertThat(segments.asString()).contains("id=\"no-segments\">Unknown: the segments could not be read.");
        assertThat(signedIn(s.id()).get("/segments").statusCode()).isEqualTo(502);
    }

    @Test
    void anAuditLogThatCannotBeReadIsUnknownInItsSectionNotNoEntries() {
        OperatorSession s = sessions.open(TOKEN, "admin", true);
        stub.answer("/api/audit", 503, "{\"code\": \"UNAVAILABLE\", \"message\": \"database down\"}");

        String page = page(s, "/flags/" + FLAG);

        assertThat(page)
                .contains("id=\"audit-error\">Audit log: Unknown (the flag-service answered database down"
                        + " (UNAVAILABLE)).")
                .contains("id=\"no-audit\">Unknown.")
                .doesNotContain("No entries.");
        stub.answer("/api/audit", 200, "{\"entries\": []}");
        assertThat(page(s, "/flags/" + FLAG))
                .contains("Audit log: Unknown (the flag-service answered something that is not a list).")
                .doesNotContain("No entries.");
    }

    @Test
    void segmentsThatCannotBeReadAreUnknownOnTheirPageAndInTheRuleEditor() {
        OperatorSession s = sessions.open(TOKEN, "admin", true);
        stub.answer("/api/segments", 503, "{\"code\": \"UNAVAILABLE\", \"message\": \"database down\"}");

        Response segments = signedIn(s.id()).get("/segments");
        assertThat(segments.statusCode()).isEqualTo(502);
        assertThat(segments.asString())
                .contains("id=\"no-segments\">Unknown: the segments could not be read.")
                .doesNotContain("No segments yet.");
        assertThat(page(s, "/flags/" + FLAG + "/rules/new"))
                .contains("The known segments: Unknown (the flag-service answered database down (UNAVAILABLE)).")
                .doesNotContain("No segments yet");
    }

    @Test
    void silencesThatCannotBeReadAreUnknownNotNothingSilenced() {
        OperatorSession s = sessions.open(TOKEN, "admin", true);
        stub.answer("/api/silences", 500, "{\"code\": \"INTERNAL\", \"message\": \"database down\"}");

        assertThat(page(s, "/silences"))
                .contains("id=\"silence-read-error\">Silences: Unknown (the alert-service answered database down"
                        + " (INTERNAL)).")
                .contains("id=\"no-current-silences\">Unknown.")
                .contains("id=\"no-ended-silences\">Unknown.")
                .doesNotContain("Nothing is silenced.")
                .doesNotContain("No silence has ended yet.");
        // An answer that is not a list was drawn as no silences without a word.
        stub.answer("/api/silences", 200, "{\"silences\": []}");
        assertThat(page(s, "/silences"))
                .contains("Silences: Unknown (the alert-service answered something that is not a list).")
                .doesNotContain("Nothing is silenced.");
    }

    private static String auditRows(int newest, int count) {
        List<String> rows = new ArrayList<>();
        IntStream.range(0, count)
                .forEach(i -> rows.add(
                        """
                        {"id": %d, "flagKey": "%s", "action": "UPDATE", "actor": "ana", "tokenName": "admin",
                         "reason": "r", "at": "2026-12-01T10:00:00Z", "before": {}, "after": {}}
                        """
                                .formatted(newest - i, FLAG)));
        return "[" + String.join(",", rows) + "]";
    }

    /** {@code count} actions of the guard, newest first, with ids that need encoding in a URL. */
    private static String rollbackRows(int count) {
        List<String> rows = new ArrayList<>();
        IntStream.range(0, count)
                .forEach(i -> rows.add(
                        """
                        {"id": "f/p&%d x+y:1764583200000", "flagKey": "%s", "action": "KILL", "outcome": "APPLIED",
                         "ruleName": "Guard", "metric": "failure", "comparator": "GUARD", "threshold": 0.2,
                         "observedValue": 0.0311, "alertStartsAt": "2026-12-01T10:00:00Z",
                         "decidedAt": "2026-12-01T10:00:01Z"}
                        """
                                .formatted(i, FLAG)));
        return "[" + String.join(",", rows) + "]";
    }

    private static String alertRows(int newest, int count) {
        List<String> rows = new ArrayList<>();
        IntStream.range(0, count).forEach(i -> rows.add(alert(newest - i, "errorRate", "GT", 0.05, 0.1)));
        return "[" + String.join(",", rows) + "]";
    }

    private static String alert(int seq, String metric, String comparator, double threshold, double observed) {
        return """
                {"seq": %d, "alertId": "a-%d", "fingerprint": "f-%d", "status": "FIRING", "severity": "WARNING",
                 "ruleId": "r", "ruleName": "Rule", "metric": "%s", "comparator": "%s", "threshold": %s,
                 "observedValue": %s, "sampleSize": 10, "scopeKey": "checkout",
                 "startsAt": "2026-12-01T10:00:00Z"}
                """
                .formatted(seq, seq, seq, metric, comparator, threshold, observed);
    }

    @Test
    void aNameOutsideAsciiIsSentEscapedAndTheKillGoesOut() {
        stub.answer("/api/flags/" + FLAG + "/kill", 200, "{}");
        OperatorSession session = signInAs("Łukasz 李");
        assertThat(session.operator()).isEqualTo("Łukasz 李");

        Response kill = kill(session);

        assertThat(kill.statusCode()).as(kill.asString()).isEqualTo(303);
        assertThat(stub.seen())
                .filteredOn(r -> r.method().equals("POST"))
                .singleElement()
                .satisfies(w -> {
                    assertThat(w.pathAndQuery()).isEqualTo("/api/flags/" + FLAG + "/kill");
                    assertThat(w.actor()).isEqualTo("\\u0141ukasz \\u674E");
                });
    }

    @Test
    void anAsciiNameIsSentUnchanged() {
        stub.answer("/api/flags/" + FLAG + "/kill", 200, "{}");
        String name = "Ana O'Brien-Lima (on call) #2";

        assertThat(kill(signInAs(name)).statusCode()).isEqualTo(303);
        assertThat(stub.seen())
                .filteredOn(r -> r.method().equals("POST"))
                .singleElement()
                .satisfies(w -> assertThat(w.actor()).isEqualTo(name));
    }

    @Test
    void aNameWhoseSentFormIsOver200CharactersIsRefusedAtSignIn() {
        // 40 characters, 240 once each is written as a 6-character escape.
        String name = "李".repeat(40);
        Response signIn = given().redirects()
                .follow(false)
                .contentType(UTF8_FORM)
                .formParam("token", TOKEN)
                .formParam("operator", name)
                .post("/login");

        assertThat(signIn.statusCode()).isEqualTo(400);
        assertThat(signIn.asString())
                .contains("Your name is too long to be sent to the services: they take at most 200 characters")
                .contains("which makes yours 240.");
        assertThat(signIn.cookie(SessionStore.COOKIE)).isNull();
        assertThat(stub.seen()).isEmpty();
    }

    @Test
    void aRequestTheHttpClientRefusesToBuildIsSaidNotSent() {
        OperatorSession s = sessions.open(TOKEN, "admin", true, "Ana Lima");

        ApiResult result = services.write(
                ServiceClient.Service.FLAG,
                "POST",
                "/api/flags/" + FLAG + "/kill",
                s,
                Map.of("reason", "checkout errors"),
                Map.of("Idempotency-Key", "Ł"));

        assertThat(result.ok()).isFalse();
        assertThat(result.unanswered()).isFalse();
        assertThat(result.message())
                .contains("the console could not send the request to flag-service", "nothing was sent");
        assertThat(stub.seen()).isEmpty();
    }

    private OperatorSession signInAs(String name) {
        Response signIn = signIn(name);
        assertThat(signIn.statusCode()).as(signIn.asString()).isEqualTo(303);
        return sessions.find(signIn.cookie(SessionStore.COOKIE)).orElseThrow();
    }

    private static Response signIn(String name) {
        return given().redirects()
                .follow(false)
                .contentType(UTF8_FORM)
                .formParam("token", TOKEN)
                .formParam("operator", name)
                .post("/login");
    }

    private static Response kill(OperatorSession session) {
        return signedIn(session.id())
                .contentType(ContentType.URLENC)
                .formParam("reason", "checkout errors")
                .formParam("_csrf", session.csrf())
                .post("/flags/" + FLAG + "/kill");
    }

    private static RequestSpecification signedIn(String cookie) {
        return given().redirects().follow(false).cookie(SessionStore.COOKIE, cookie);
    }

    private static String page(OperatorSession s, String path) {
        Response response = signedIn(s.id()).get(path);
        assertThat(response.statusCode()).as(path + ": " + response.asString()).isEqualTo(200);
        return response.asString();
    }
}
