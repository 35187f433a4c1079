package dev.rollguard.console.rest;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.console.ServiceStub;
import dev.rollguard.console.StubbedServices;
import dev.rollguard.console.session.OperatorSession;
import dev.rollguard.console.session.SessionStore;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The guard's verdicts as the console shows them, with the services answering from {@link ServiceStub}: the flag
 * page's section for each status, the overview worst first, a failing or unreachable alert-service said on the page,
 * and hostile text from the alert-service escaped.
 */
@QuarkusTest
@QuarkusTestResource(value = StubbedServices.class, restrictToAnnotatedClass = true)
class GuardPagesTest {

    private static final String FLAG = "checkout.new-flow";
    private static final String TOKEN = "guard-pages-token";
    private static ServiceStub stub;

    @Inject
    SessionStore sessions;

    private OperatorSession session;

    @BeforeEach
    void flagAndItsHistory() {
        stub = StubbedServices.stub();
        session = sessions.open(TOKEN, "admin", true);
        stub.answer(
                "/api/flags/" + FLAG,
                200,
                """
                {"key": "%s", "description": "New checkout", "enabled": true, "rolloutPercentage": 10,
                 "stages": [{"name": "internal", "percentage": 0, "minSoakSeconds": 60},
                            {"name": "canary", "percentage": 10, "minSoakSeconds": 600},
                            {"name": "all", "percentage": 100, "minSoakSeconds": 0}],
                 "currentStage": 1, "stageEnteredAt": "2026-12-01T10:00:00Z", "version": 7,
                 "guardPolicy": {"action": "KILL", "dryRun": false, "cooldownSeconds": 0},
                 "updatedAt": "2026-12-01T10:00:00Z", "updatedBy": "ana"}
                """
                        .formatted(FLAG));
        stub.answer("/api/audit", 200, "[]");
        stub.answer("/api/alerts", 200, "[]");
        stub.answer("/api/rollbacks", 200, "[]");
    }

    @Test
    void theFlagPageShowsTheVerdictOnItsStageMetricByMetric() {
        stub.answer("/api/guard", 200, "[" + regression(FLAG) + "," + healthy("other.flag") + "]");

        String page = page("/flags/" + FLAG);

        String section = section(page);
        assertThat(section)
                .contains("data-status=\"REGRESSION\"")
                .contains("id=\"guard-status\">REGRESSION (CRITICAL)</span>")
                .contains("the flag&#39;s guard policy applies")
                .contains("the stage begun at flag version 7")
                .contains("on the window ending 2026-12-01 10:20:00Z");
        assertThat(metricRow(section, "failureRate"))
                .contains("failure rate", "two-proportion mixture SPRT")
                .contains("REGRESSION", "CRITICAL")
                .contains("3.11 % vs 1.0 %")
                .contains("+211 %", "99.9 % interval [+150 %, +279 %]")
                .contains("212 vs 1 788")
                .contains("6 100 vs 52 000")
                .contains("class=\"called\">15.3 of threshold");
        assertThat(metricRow(section, "latencyP95"))
                .contains("NON_INFERIOR")
                .contains("-2.5 %", "99.9 % interval [-6.1 %, +1.2 %]")
                .contains(">0 of threshold")
                .doesNotContain("class=\"called\"");
        assertThat(metricRow(section, "pendingMutations"))
                .contains("INSUFFICIENT_DATA", "12 vs 40", "30 vs 410")
                .contains("<td data-label=\"Effect\">-</td>");
        // The deciding metric is the regression, not the first metric listed.
        assertThat(between(section, "id=\"guard-deciding\">", "</dd>"))
                .isEqualTo("failure rate 3.11 % vs 1.0 %, +211 %, 99.9 % interval [+150 %, +279 %], 212 vs 1 788"
                        + " clients, evidence 15.3 of threshold");
        // Refreshed in place when a window arrives, and on an interval.
        assertThat(section)
                .contains("hx-get=\"/flags/" + FLAG + "/guard\"")
                .contains("hx-trigger=\"every 15s, guard-refresh from:body delay:2s\"");
        assertThat(stub.seen())
                .filteredOn(r -> r.pathAndQuery().startsWith("/api/guard"))
                .isNotEmpty()
                .allSatisfy(r -> assertThat(r.authorization()).isEqualTo("Bearer " + TOKEN));
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "HEALTHY           | NONE     | HEALTHY           | guard-healthy      | safe to promote",
                "INCONCLUSIVE      | NONE     | INCONCLUSIVE      | guard-inconclusive | Not enough evidence yet",
                "NO_DATA           | NONE     | NO DATA           | guard-no-data      | cannot judge this stage",
                "INSUFFICIENT_DATA | NONE     | INSUFFICIENT DATA | guard-insufficient | enough clients and events",
                "REGRESSION        | WARNING  | REGRESSION (WARNING) | guard-warning   | it does not act",
                "REGRESSION        | CRITICAL | REGRESSION (CRITICAL) | guard-regression | guard policy applies",
                "PAUSED_BY_MOON    | NONE     | PAUSED BY MOON    | guard-unknown      | does not know"
            })
    void eachStatusHasItsOwnBadgeAndTheUnjudgedOnesAreNeverHealthy(
            String status, String severity, String label, String badge, String meaning) {
        stub.answer(
                "/api/guard", 200, "[" + verdict(FLAG, status, severity, status + ": 0 of 3 metrics judged", "") + "]");

        String section = page("/flags/" + FLAG + "/guard");

        assertThat(section)
                .startsWith("<section")
                .contains("data-status=\"" + status + "\"")
                .contains("<span class=\"guard-status " + badge + "\" id=\"guard-status\">" + label + "</span>")
                .contains(meaning)
                .contains(status + ": 0 of 3 metrics judged")
                .doesNotContain("<html");
        if (!status.equals("HEALTHY")) {
            assertThat(section).doesNotContain("guard-healthy").doesNotContain(">HEALTHY<");
        }
    }

    @Test
    void aFlagTheGuardHasNotJudgedSaysSo() {
        stub.answer("/api/guard", 200, "[" + healthy("other.flag") + "]");

        String section = section(page("/flags/" + FLAG));

        assertThat(section)
                .contains("data-status=\"NONE\"")
                .contains("The guard has no verdict on this flag")
                .doesNotContain("guard-status");
    }

    @Test
    void anAlertServiceErrorIsSaidWhereTheVerdictWouldBe() {
        stub.answer(
                "/api/guard",
                500,
                "{\"code\": \"INTERNAL\", \"message\": \"The alert-service could not answer this request.\"}");

        String page = page("/flags/" + FLAG);

        assertThat(page).contains("New checkout"); // the rest of the page is there
        assertThat(section(page))
                .contains("data-status=\"ERROR\"")
                .contains("role=\"alert\" id=\"guard-error\">The guard&#39;s verdicts are unavailable: The"
                        + " alert-service could not answer this request. (INTERNAL).</p>");
        Response overview = sessionRequest().get("/guard");
        assertThat(overview.statusCode()).isEqualTo(502);
        assertThat(overview.asString())
                .contains("The guard&#39;s verdicts are unavailable")
                .contains("No verdicts to show.");
    }

    @Test
    void anUnreachableAlertServiceIsSaidAndNothingElseBreaks() {
        stub.dropConnections("/api/guard");

        String page = page("/flags/" + FLAG);

        assertThat(section(page))
                .contains("data-status=\"ERROR\"")
                .contains(
                        "The guard&#39;s verdicts are unavailable: alert-service is unavailable: the connection closed before an answer.");
        assertThat(page).doesNotContain("Exception:").doesNotContain("\tat ").doesNotContain("java.");
        String fragment = page("/flags/" + FLAG + "/guard");
        assertThat(fragment).contains("alert-service is unavailable");
    }

    @Test
    void aPlainTextErrorOfAProxyIsSummedUpOnTheFlagPageAndTheOverview() {
        // A proxy in front of the alert-service answers 503 in plain text: a line break, a right-to-left override and
        // more than the console repeats.
        stub.answer("/api/guard", 503, "upstream overloaded\n\u202Eretry later " + "y".repeat(150) + " TAIL-NOT-SHOWN");
        String expected = "The guard&#39;s verdicts are unavailable: the alert-service answered HTTP 503: upstream"
                + " overloaded retry later yyy";

        String said = between(section(page("/flags/" + FLAG)), "id=\"guard-error\">", "</p>");

        assertThat(said)
                .startsWith(expected)
                .contains("…")
                .doesNotContain("TAIL-NOT-SHOWN")
                .doesNotContain("\n")
                .doesNotContain("\u202E")
                .hasSizeLessThan(250);
        Response overview = sessionRequest().get("/guard");
        assertThat(overview.statusCode()).isEqualTo(502);
        assertThat(overview.asString())
                .contains(expected)
                .doesNotContain("TAIL-NOT-SHOWN")
                .doesNotContain("\u202E")
                .doesNotContain("overloaded\n");
    }

    @Test
    void aTokenThatMayNotReadTheVerdictsIsToldSo() {
        stub.answer("/api/guard", 403, "{\"code\": \"FORBIDDEN\", \"message\": \"admin token required\"}");

        assertThat(section(page("/flags/" + FLAG)))
                .contains("The guard&#39;s verdicts are unavailable: your token may not read them (FORBIDDEN).");
    }

    @Test
    void theOverviewListsEveryGuardedFlagWorstFirst() {
        stub.answer(
                "/api/guard",
                200,
                "["
                        + String.join(
                                ",",
                                healthy("a.healthy"),
                                verdict("b.insufficient", "INSUFFICIENT_DATA", "NONE", "INSUFFICIENT_DATA: 0 of 3", ""),
                                verdict("c.inconclusive", "INCONCLUSIVE", "NONE", "INCONCLUSIVE: 3 of 3", ""),
                                verdict("d.no-data", "NO_DATA", "NONE", "NO_DATA: 0 of 3 metrics judged", ""),
                                verdict("e.warning", "REGRESSION", "WARNING", "REGRESSION (WARNING): p95", ""),
                                regression("f.critical"))
                        + "]");
        flagList(
                currentFlag("a.healthy"),
                currentFlag("b.insufficient"),
                currentFlag("c.inconclusive"),
                currentFlag("d.no-data"),
                currentFlag("e.warning"),
                currentFlag("f.critical"));

        String page = page("/guard");

        assertThat(page).contains("<a href=\"/guard\" aria-current=\"page\">Guard</a>");
        List<String> order =
                List.of("f.critical", "e.warning", "d.no-data", "c.inconclusive", "b.insufficient", "a.healthy");
        int previous = -1;
        for (String flag : order) {
            int at = page.indexOf("<tr data-flag=\"" + flag + "\"");
            assertThat(at).as(flag).isGreaterThan(previous);
            previous = at;
        }
        assertThat(page)
                .contains("<a href=\"/flags/f.critical\">f.critical</a>")
                .contains("REGRESSION (CRITICAL): failure rate 3.11 % vs 1.0 %")
                .contains("<span class=\"guard-status guard-no-data\">NO DATA</span>")
                .contains("id=\"guard-tally\">1 regression (critical), 1 regression (warning), 1 no data,"
                        + " 1 inconclusive, 1 insufficient data, 1 healthy</p>");
        // Linked from every page's navigation.
        assertThat(page("/flags/" + FLAG)).contains("<a href=\"/guard\" >Guard</a>");
    }

    @Test
    void theOverviewGreysTheVerdictsOfAnEarlierStageOrOfAKilledFlagAsTheFlagPageDoes() {
        stub.answer(
                "/api/guard",
                200,
                "[" + String.join(",", regression("k.killed"), regression("s.promoted"), healthy("c.current")) + "]");
        flagList(
                currentFlag("c.current"),
                flagJson("k.killed", "\"stageVersion\": 7, \"killed\": true"),
                flagJson("s.promoted", "\"stageVersion\": 12"));

        String page = page("/guard");

        // The current verdict first; the regressions are not on the flags as they are now.
        assertThat(page.indexOf("<tr data-flag=\"c.current\""))
                .isNotNegative()
                .isLessThan(page.indexOf("<tr data-flag=\"k.killed\""))
                .isLessThan(page.indexOf("<tr data-flag=\"s.promoted\""));
        assertThat(overviewRow(page, "c.current"))
                .doesNotContain("data-stale")
                .contains("<span class=\"guard-status guard-healthy\">HEALTHY</span>");
        assertThat(overviewRow(page, "k.killed"))
                .contains("data-stale=\"true\"", "class=\"guard-old\"")
                .contains("<span class=\"guard-status guard-stale\">LAST VERDICT: REGRESSION (CRITICAL)</span>")
                .contains("The flag is killed: this verdict is from before the kill");
        assertThat(overviewRow(page, "s.promoted"))
                .contains("data-stale=\"true\"")
                .contains("<span class=\"guard-status guard-stale\">NOT YET JUDGED AT THIS STAGE</span>")
                .contains("the current stage began at version 12");
        assertThat(page).contains("id=\"guard-tally\">1 healthy, 2 not current</p>");
        assertThat(stub.seen()).anyMatch(r -> r.pathAndQuery().equals("/api/flags?includeArchived=true"));
    }

    @Test
    void theOverviewSaysWhenItCannotTellWhetherAVerdictIsCurrent() {
        stub.answer("/api/guard", 200, "[" + regression("u.unread") + "]");
        stub.answer("/api/flags", 503, "{\"code\": \"UNAVAILABLE\", \"message\": \"database down\"}");

        String page = page("/guard");

        assertThat(overviewRow(page, "u.unread"))
                .contains("data-stale=\"true\"")
                .contains("NOT KNOWN IF CURRENT: REGRESSION (CRITICAL)");
        assertThat(page).contains("The flags could not be read (database down)");
    }

    @Test
    void hostileTextFromTheAlertServiceIsEscaped() {
        String key = "evil\"><svg onload=alert(1)>";
        stub.answer(
                "/api/guard",
                200,
                "["
                        + verdict(
                                        key.replace("\"", "\\\""),
                                        "REGRESSION",
                                        "CRITICAL",
                                        "<img src=x onerror=alert(2)>",
                                        metric("x", "REGRESSION"))
                                .replace("\"label\": \"x\"", "\"label\": \"<b onmouseover=alert(3)>rate</b>\"")
                        + "]");

        String overview = page("/guard");
        String section = page("/flags/" + key + "/guard");

        String escapedKey = "evil&quot;&gt;&lt;svg onload=alert(1)&gt;";
        for (String html : List.of(overview, section)) {
            assertThat(html)
                    .doesNotContain("<svg")
                    .doesNotContain("<img src=x")
                    .contains("&lt;img src=x onerror=alert(2)&gt;");
        }
        assertThat(overview).contains("href=\"/flags/" + escapedKey + "\"");
        assertThat(section)
                .contains("data-status=\"REGRESSION\"")
                .contains("hx-get=\"/flags/" + escapedKey + "/guard\"")
                .contains("&lt;b onmouseover=alert(3)&gt;rate&lt;/b&gt;")
                .doesNotContain("<b onmouseover");
    }

    @Test
    void withoutASessionTheReloadingSectionSendsThePageToSignIn() {
        Response reload =
                given().redirects().follow(false).header("HX-Request", "true").get("/flags/" + FLAG + "/guard");
        Response page = given().redirects().follow(false).get("/guard");

        assertThat(reload.statusCode()).isEqualTo(401);
        assertThat(reload.header("HX-Redirect")).isEqualTo("/login");
        assertThat(page.statusCode()).isEqualTo(303);
        assertThat(page.header("Location")).endsWith("/login");
    }

    private io.restassured.specification.RequestSpecification sessionRequest() {
        return given().redirects().follow(false).cookie(SessionStore.COOKIE, session.id());
    }

    @Test
    void aReadOnlySessionRefusedTheRollbacksIsToldWhyInsteadOfAnError() {
        stub.answer("/api/rollbacks", 403, "{\"code\": \"FORBIDDEN\", \"message\": \"admin token required\"}");

        String page = page("/rollbacks");

        assertThat(page)
                .contains("id=\"rollbacks-error\">The guard's actions: Unknown (not permitted: this session may"
                        + " not read it (admin token required, FORBIDDEN)).</p>")
                .doesNotContain("The guard has not acted yet.");
    }

    @Test
    void alertsThatCannotBeReadAreUnknownNeverNoneAndAnErrorBodyIsNoRow() {
        stub.dropConnections("/api/alerts");

        String unreachable = page("/alerts");

        assertThat(unreachable)
                .contains("id=\"active-error\">What is firing now: Unknown (service unreachable:")
                .contains("id=\"recent-error\">The alert-service's history: Unknown (service unreachable:")
                .doesNotContain("Nothing is firing.");

        stub.answer("/api/alerts", 500, "{\"code\": \"INTERNAL\", \"message\": \"the store is down\"}");

        String failing = page("/alerts");

        assertThat(between(failing, "id=\"active-alerts\">", "</tbody>"))
                .doesNotContain("alert-row")
                .contains("Unknown.");
        assertThat(failing).contains("Unknown (the alert-service answered the store is down (INTERNAL)).");
    }

    @Test
    void anErrorPageOfAProxyIsSaidByItsStatusNotRepeated() {
        // A proxy in front of the alert-service answers with its own HTML page.
        stub.answer(
                "/api/alerts",
                502,
                "<!DOCTYPE html><html><head><style>body { color: red }</style></head><body><h1>Bad gateway</h1>"
                        + "<p>upstream alert-service:8083 refused the connection</p></body></html>");
        // Another answers in plain text, with a line break and more than the console repeats.
        stub.answer(
                "/api/rollbacks",
                500,
                "upstream timed out\nreading response headers " + "x".repeat(200) + " TAIL-NOT-SHOWN");

        String alerts = page("/alerts");

        assertThat(alerts)
                .contains("id=\"active-error\">What is firing now: Unknown (service unreachable: HTTP 502).</p>")
                .contains("The alert-service's history: Unknown (service unreachable: HTTP 502). Only")
                .doesNotContain("Bad gateway")
                .doesNotContain("color: red")
                .doesNotContain("refused the connection");

        String rollbacks = page("/rollbacks");

        String said = between(rollbacks, "id=\"rollbacks-error\">", "</p>");
        assertThat(said)
                .startsWith("The guard's actions: Unknown (the rollback-service answered HTTP 500: upstream timed out"
                        + " reading response headers xxx")
                .contains("…")
                .doesNotContain("TAIL-NOT-SHOWN")
                .doesNotContain("\n")
                .hasSizeLessThan(250);
    }

    @Test
    void theFlagPageSaysAlertsAndActionsAreUnknownWhenTheyCannotBeRead() {
        stub.answer("/api/guard", 200, "[]");
        stub.dropConnections("/api/alerts");
        stub.answer("/api/rollbacks", 403, "{\"code\": \"FORBIDDEN\", \"message\": \"admin token required\"}");

        String page = page("/flags/" + FLAG);

        assertThat(page)
                .contains("id=\"alerts-error\">Alerts about this flag: Unknown (service unreachable:")
                .contains("id=\"rollbacks-error\">The guard&#39;s actions on this flag: Unknown (not permitted:")
                .doesNotContain("No alert about this flag.")
                .doesNotContain("The guard has not acted on this flag.");
    }

    @Test
    void aVerdictOnAnEarlierStageIsNotShownAsTheCurrentOne() {
        stub.answer("/api/guard", 200, "[" + healthy(FLAG) + "]");
        flagNow("\"currentStage\": 2, \"stageVersion\": 9, \"killed\": false");

        String section = section(page("/flags/" + FLAG));
        String swapped = page("/flags/" + FLAG + "/guard");

        for (String html : List.of(section, swapped)) {
            assertThat(html)
                    .contains("data-stale=\"true\"")
                    .contains("id=\"guard-status\">NOT YET JUDGED AT THIS STAGE</span>")
                    .contains("this verdict is on the stage begun at flag version 7, the current stage began at"
                            + " version 9.")
                    .doesNotContain("safe to promote")
                    .doesNotContain("guard-healthy");
        }
    }

    @Test
    void theVerdictOnAFlagSetByHandOffAPlanIsCurrent() {
        stub.answer("/api/guard", 200, "[" + regression(FLAG) + "]");
        stub.answer(
                "/api/flags/" + FLAG,
                200,
                """
                {"key": "%s", "enabled": true, "rolloutPercentage": 20, "stages": [], "currentStage": null,
                 "stageVersion": null, "version": 9, "killed": false}
                """
                        .formatted(FLAG));

        String section = section(page("/flags/" + FLAG));

        assertThat(section)
                .contains("id=\"guard-status\">REGRESSION (CRITICAL)</span>")
                .contains("the flag&#39;s guard policy applies")
                .doesNotContain("data-stale=\"true\"")
                .doesNotContain("not under rollout");
    }

    @Test
    void theVerdictOnAFlagAtAHundredPercentWithNothingElseIsTheLastOne() {
        stub.answer("/api/guard", 200, "[" + healthy(FLAG) + "]");
        stub.answer(
                "/api/flags/" + FLAG,
                200,
                """
                {"key": "%s", "enabled": true, "rolloutPercentage": 100, "stages": [], "currentStage": null,
                 "allowList": [], "denyList": [], "rules": [], "version": 9}
                """
                        .formatted(FLAG));

        String section = section(page("/flags/" + FLAG));

        assertThat(section)
                .contains("data-stale=\"true\"")
                .contains("id=\"guard-status\">LAST VERDICT: HEALTHY</span>")
                .contains("The flag is not under rollout");
    }

    @Test
    void theLastVerdictOfAKilledFlagIsGreyedAndItsAlertsAreListed() {
        String withAlerts = regression(FLAG)
                .replace(
                        "\"judgedAt\"",
                        "\"alerts\": [{\"ruleId\": \"fail-rate\", \"ruleName\": \"Failure rate up\","
                                + " \"scopeKey\": \"checkout\", \"cohort\": \"TREATMENT\", \"severity\":"
                                + " \"CRITICAL\", \"phase\": \"FIRING\"}], \"judgedAt\"");
        stub.answer("/api/guard", 200, "[" + withAlerts + "]");
        flagNow("\"currentStage\": 1, \"stageVersion\": 7, \"killed\": true");

        String section = section(page("/flags/" + FLAG));

        assertThat(section)
                .contains("id=\"guard-status\">LAST VERDICT: REGRESSION (CRITICAL)</span>")
                .contains("The flag is killed: this verdict is from before the kill")
                .doesNotContain("guard policy applies");
        assertThat(between(section, "id=\"guard-alerts\">", "</ul>"))
                .contains("CRITICAL</span> FIRING: Failure rate up")
                .contains("(fail-rate)", "scope checkout", "cohort TREATMENT");
    }

    @Test
    void anAutomaticKillShowsTheGuardsEvidenceAndAlertsTheirAnnotations() {
        stub.answer("/api/guard", 200, "[]");
        String comparison =
                """
                {"treatmentValue": 0.0311, "controlValue": 0.01, "treatmentSamples": 6100, "controlSamples": 52000,
                 "pValue": null, "method": "two-proportion mixture SPRT", "treatmentClients": 212,
                 "controlClients": 1788, "relativeEffect": 2.11, "effectLower": 1.5, "effectUpper": 2.79,
                 "confidence": 0.999, "evidence": 15.3,
                 "summary": "failure rate 3.11 % vs 1.0 %, +211 %, evidence 15.3 of threshold"}
                """;
        stub.answer(
                "/api/rollbacks",
                200,
                """
                [{"id": "fp:1", "flagKey": "%s", "action": "KILL", "outcome": "APPLIED", "reason": "guard",
                  "ruleId": "guard", "ruleName": "Guard", "metric": "failure", "comparator": "GUARD",
                  "threshold": 0.2, "observedValue": 0.0211, "sampleSize": 48000, "cohort": "TREATMENT",
                  "comparison": %s, "alertReceivedAt": "2026-12-01T10:20:05Z"}]
                """
                        .formatted(FLAG, comparison));
        stub.answer(
                "/api/alerts",
                200,
                """
                [{"alertId": "a1", "status": "FIRING", "severity": "CRITICAL", "ruleId": "guard", "ruleName": "Guard",
                  "metric": "failure", "comparator": "GUARD", "threshold": 0.2, "observedValue": 0.0211,
                  "flagKey": "%s", "cohort": "TREATMENT", "startsAt": "2026-12-01T10:20:00Z", "comparison": %s,
                  "annotations": {"summary": "Checkout failures up", "description": "Treated clients fail more",
                                  "runbook_url": "https://runbooks.example.com/guard"}},
                 {"alertId": "a2", "status": "FIRING", "severity": "WARNING", "ruleId": "other", "ruleName": "Other",
                  "flagKey": "%s", "startsAt": "2026-12-01T10:10:00Z",
                  "annotations": {"runbook_url": "javascript:alert(1)"}}]
                """
                        .formatted(FLAG, comparison, FLAG));

        String page = page("/flags/" + FLAG);

        assertThat(page)
                .contains("class=\"ev-threshold\">GUARD tolerance: at most 20 % worse than control</dd>")
                .contains("class=\"ev-observed\">failure = 2.11 % in the treatment cohort</dd>")
                .contains("class=\"ev-summary\">failure rate 3.11 % vs 1.0 %, +211 %, evidence 15.3 of threshold")
                .contains("over 6100 events from 212 clients")
                .contains("over 52000 events from 1788 clients")
                .contains("class=\"ev-effect\">+211 %, 99.9 % interval [+150 %, +279 %]</dd>")
                .contains("class=\"ev-evidence\">15.3 of threshold (called; 1 makes the call)</dd>")
                .contains("<div class=\"alert-summary\">Checkout failures up</div>")
                .contains("Treated clients fail more")
                .contains("href=\"https://runbooks.example.com/guard\" rel=\"noopener noreferrer\">Runbook</a>")
                .doesNotContain("javascript:alert");
    }

    /** The flag as the flag-service answers it now, with {@code fields} set. */
    private static void flagList(String... flags) {
        stub.answer("/api/flags", 200, "[" + String.join(",", flags) + "]");
    }

    /** A flag on its plan at the stage the test verdicts judge (stage version 7). */
    private static String currentFlag(String key) {
        return flagJson(key, "\"stageVersion\": 7");
    }

    private static String flagJson(String key, String fields) {
        return """
                {"key": "%s", "enabled": true, "rolloutPercentage": 10,
                 "stages": [{"name": "canary", "percentage": 10, "minSoakSeconds": 600},
                            {"name": "all", "percentage": 100, "minSoakSeconds": 0}],
                 "currentStage": 0, "version": 9, %s}
                """
                .formatted(key, fields);
    }

    private static String overviewRow(String page, String flag) {
        int start = page.indexOf("<tr data-flag=\"" + flag + "\"");
        assertThat(start).as("row of " + flag).isNotNegative();
        return page.substring(start, page.indexOf("</tr>", start));
    }

    private void flagNow(String fields) {
        stub.answer(
                "/api/flags/" + FLAG,
                200,
                """
                {"key": "%s", "enabled": true, "rolloutPercentage": 50,
                 "stages": [{"name": "internal", "percentage": 0, "minSoakSeconds": 60},
                            {"name": "canary", "percentage": 10, "minSoakSeconds": 600},
                            {"name": "half", "percentage": 50, "minSoakSeconds": 600}],
                 "version": 9, %s}
                """
                        .formatted(FLAG, fields));
    }

    private String page(String path) {
        Response response = sessionRequest().get(path);
        assertThat(response.statusCode()).as(path + ": " + response.asString()).isEqualTo(200);
        assertThat(response.contentType()).startsWith("text/html");
        return response.asString();
    }

    private static String section(String page) {
        int start = page.indexOf("<section aria-labelledby=\"guard-title\"");
        assertThat(start).as("guard section in the page").isNotNegative();
        return page.substring(start, page.indexOf("</section>", start));
    }

    private static String metricRow(String section, String metric) {
        int start = section.indexOf("data-metric=\"" + metric + "\"");
        assertThat(start).as("row of " + metric).isNotNegative();
        return section.substring(start, section.indexOf("</tr>", start));
    }

    private static String between(String text, String from, String to) {
        int start = text.indexOf(from);
        assertThat(start).as(from).isNotNegative();
        start += from.length();
        return text.substring(start, text.indexOf(to, start));
    }

    private static String regression(String flag) {
        return verdict(
                flag,
                "REGRESSION",
                "CRITICAL",
                "REGRESSION (CRITICAL): failure rate 3.11 % vs 1.0 %, +211 %, 99.9 % interval [+150 %, +279 %],"
                        + " 212 vs 1 788 clients, evidence 15.3 of threshold",
                String.join(",", metric("latencyP95", "NON_INFERIOR"), failureRate(), pendingMutations()));
    }

    private static String healthy(String flag) {
        return verdict(flag, "HEALTHY", "NONE", "HEALTHY: 1 of 1 metrics judged", metric("latencyP95", "NON_INFERIOR"));
    }

    private static String verdict(String flag, String status, String severity, String summary, String metrics) {
        return """
                {"flagKey": "%s", "stageVersion": 7, "status": "%s", "severity": "%s", "summary": "%s",
                 "judgedAt": "2026-12-01T10:20:00Z", "metrics": [%s]}
                """
                .formatted(flag, status, severity, summary, metrics);
    }

    private static String failureRate() {
        return """
                {"metric": "failureRate", "label": "failure rate", "status": "REGRESSION", "severity": "CRITICAL",
                 "method": "two-proportion mixture SPRT", "treated": 0.0311, "control": 0.01,
                 "relativeEffect": 2.11, "effectLower": 1.5, "effectUpper": 2.79, "confidence": 0.999,
                 "treatedClients": 212, "controlClients": 1788, "treatedEvents": 6100, "controlEvents": 52000,
                 "evidence": 15.3,
                 "summary": "failure rate 3.11 % vs 1.0 %, +211 %, 99.9 % interval [+150 %, +279 %], 212 vs 1 788 clients, evidence 15.3 of threshold"}
                """;
    }

    private static String pendingMutations() {
        return """
                {"metric": "pendingMutations", "label": "pending mutations", "status": "INSUFFICIENT_DATA",
                 "severity": "NONE", "method": "mean, mixture SPRT", "treated": 1.2, "control": 1.1,
                 "relativeEffect": 0.09, "effectLower": null, "effectUpper": null, "confidence": 0.999,
                 "treatedClients": 12, "controlClients": 40, "treatedEvents": 30, "controlEvents": 410,
                 "evidence": 0.0, "summary": "pending mutations: insufficient data, 12 vs 40 clients, 30 vs 410 events"}
                """;
    }

    private static String metric(String name, String status) {
        return """
                {"metric": "%s", "label": "%s", "status": "%s", "severity": "NONE",
                 "method": "tail ladder, mixture SPRT", "treated": 0.049, "control": 0.05,
                 "relativeEffect": -0.025, "effectLower": -0.061, "effectUpper": 0.012, "confidence": 0.999,
                 "treatedClients": 212, "controlClients": 1788, "treatedEvents": 6100, "controlEvents": 52000,
                 "evidence": 0.0, "summary": "%s within tolerance"}
                """
                .formatted(name, name, status, name);
    }
}
