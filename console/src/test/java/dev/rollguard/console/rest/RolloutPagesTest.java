package dev.rollguard.console.rest;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rollguard.console.ServiceStub;
import dev.rollguard.console.StubbedServices;
import dev.rollguard.console.client.ApiResult;
import dev.rollguard.console.live.LiveEvent;
import dev.rollguard.console.live.LiveHistory;
import dev.rollguard.console.session.OperatorSession;
import dev.rollguard.console.session.SessionStore;
import dev.rollguard.console.view.RolloutJson;
import dev.rollguard.infra.SharedInfra;
import dev.rollguard.schemas.Topics;
import dev.rollguard.schemas.event.FlagChangeType;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.event.FlagValueType;
import dev.rollguard.schemas.event.GuardAction;
import dev.rollguard.schemas.event.GuardPolicy;
import dev.rollguard.schemas.event.RolloutAction;
import dev.rollguard.schemas.event.RolloutActionEvent;
import dev.rollguard.schemas.event.RolloutOutcome;
import dev.rollguard.schemas.serde.AvroCodec;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A flag's rollout in the console, with the flag-service and the rollback-service's promoter answering from
 * {@link ServiceStub}: the timeline with the promoter's view, the page still whole when the promoter is missing or
 * down, the automatic steps with their evidence (from the rollback-service and from the {@code rollouts} topic), and
 * the five controls: what each sends, and each refusal of the flag-service shown.
 */
@QuarkusTest
@QuarkusTestResource(value = StubbedServices.class, restrictToAnnotatedClass = true)
class RolloutPagesTest {

    private static final String FLAG = "checkout.rollout";
    private static final String TOKEN = "rollout-pages-token";
    private static ServiceStub stub;

    @Inject
    SessionStore sessions;

    @Inject
    LiveHistory history;

    private OperatorSession session;

    @BeforeEach
    void aFlagAtItsFirstAutomaticStage() {
        stub = StubbedServices.stub();
        stub.reset();
        session = sessions.open(TOKEN, "admin", true);
        stub.answer(
                "/api/flags/" + FLAG,
                200,
                """
                {"key": "%s", "description": "Checkout, rolled out by itself", "enabled": true,
                 "rolloutPercentage": 10, "stages": [], "currentStage": null, "version": 14,
                 "updatedAt": "2026-12-01T10:00:00Z", "updatedBy": "ana"}
                """
                        .formatted(FLAG));
        timeline("PROGRESSING", 1, "");
        stub.answer(
                "/api/promotions",
                200,
                "["
                        + RolloutJson.assessment(
                                FLAG,
                                "WAIT",
                                "\"SOAK\", \"MIN_CLIENTS\"",
                                "2026-12-01T10:30:00Z",
                                "\"soak: 250 s left\", \"clients: 120 of 200 treated\"")
                        + "]");
        stub.answer("/api/rollouts", 200, "[" + RolloutJson.promoteStep(FLAG, FLAG + ":13:PROMOTE") + "]");
        stub.answer("/api/audit", 200, "[]");
        stub.answer("/api/alerts", 200, "[]");
        stub.answer("/api/rollbacks", 200, "[]");
        stub.answer("/api/guard", 200, "[]");
    }

    @Test
    void theFlagPageShowsThePlanAsATimelineWithThePromotersView() {
        String section = rolloutSection(page("/flags/" + FLAG));

        assertThat(section).contains("data-phase=\"PROGRESSING\"").contains("id=\"rollout-phase\">PROGRESSING</span>");
        assertThat(stage(section, "COMPLETED")).contains("internal", "0 %", "soak ≥ 60 s", "manual");
        assertThat(stage(section, "CURRENT"))
                .contains("aria-current=\"step\"")
                .contains(
                        "10%",
                        "soak ≥ 600 s", "≥ 200 clients per cohort", ">auto, once every metric is shown within +50 %<")
                .contains("<progress max=\"600\" value=\"350\"")
                .contains("soak 350 s of 600 s, 250 s left");
        assertThat(section).contains("≥ 500 clients per cohort");
        assertThat(section)
                .contains("data-kind=\"EXPECTED\">Next promotion expected at 2026-12-01 10:30:00Z, to stage 3. 50%"
                        + " (50 %), if the evidence holds.</p>")
                .contains("within 86400 s, extended once by 43200 s, then revert");
        assertThat(section)
                .contains("id=\"promoter-decision\">WAIT</span>")
                .contains("id=\"promoter-waiting\">the stage&#39;s soak time (250 s left); enough clients in each"
                        + " cohort</dd>")
                .contains("data-met=\"false\">not met: 120 treated, 900 control; 200 needed in each</dd>")
                .contains("id=\"promoter-verdict\">INCONCLUSIVE at 99 % confidence</span>")
                .contains("<li>clients: 120 of 200 treated</li>");
        // Promote, pause and abort apply; resume and retry do not, and say why.
        assertThat(section)
                .contains("href=\"/flags/" + FLAG + "/rollout/promote\" id=\"rollout-promote\">Promote…</a>")
                .contains("href=\"/flags/" + FLAG + "/rollout/pause\" id=\"rollout-pause\">Pause…</a>")
                .contains("class=\"button danger\" href=\"/flags/" + FLAG + "/rollout/abort\"")
                .contains("<button type=\"button\" disabled id=\"rollout-resume\"")
                .contains("id=\"rollout-resume-why\">Resume: not paused: nothing to resume</li>")
                .contains("id=\"rollout-retry-why\">Retry: neither aborted nor killed: nothing to retry</li>");
        // Reloaded in place when the flag changes or a step arrives, and on an interval.
        assertThat(section)
                .contains("hx-get=\"/flags/" + FLAG + "/rollout\"")
                .contains("hx-trigger=\"every 10s, rollout-refresh from:body\"");
        assertThat(stub.seen())
                .filteredOn(r -> r.pathAndQuery().startsWith("/api/promotions"))
                .isNotEmpty()
                .allSatisfy(r -> {
                    assertThat(r.pathAndQuery()).isEqualTo("/api/promotions?flag=" + FLAG);
                    assertThat(r.authorization()).isEqualTo("Bearer " + TOKEN);
                });
    }

    @Test
    void theAutomaticStepsAreInTheHistoryWithTheirEvidence() {
        String page = page("/flags/" + FLAG);

        String steps = stepsSection(page);
        assertThat(steps)
                .contains("data-action=\"PROMOTE\" data-outcome=\"APPLIED\"")
                .contains("PROMOTE 10% (10 %) → 50% (50 %): <span class=\"outcome outcome-applied\">APPLIED</span>")
                .contains("10% healthy: soak 600 s over, 250 vs 260 clients, no regression at 99 %")
                .contains("class=\"step-verdict\">HEALTHY at 99 % confidence</dd>")
                .contains("class=\"step-clients\">250 treated, 260 control; 200 needed in each</dd>")
                .contains("640 s in the stage, 600 s required")
                .contains("stage begun at 14; 14 → 15");
        assertThat(row(steps, "data-metric=\"failure\""))
                .contains("NON_INFERIOR", "1.1 % vs 1.2 %", "-8.3 %", "[-20.0 %, +4.0 %]", "250 vs 260");
        assertThat(stub.seen())
                .anySatisfy(r -> assertThat(r.pathAndQuery()).isEqualTo("/api/rollouts?limit=50&flag=" + FLAG));
        assertThat(page("/flags/" + FLAG + "/rollout-steps"))
                .startsWith("<section")
                .contains("data-count=\"1\"");
        // On the charts' time axis too.
        String series = sessionRequest().get("/flags/" + FLAG + "/series.json").asString();
        assertThat(series)
                .contains("\"id\":\"rollout:" + FLAG + ":13:PROMOTE\"")
                .contains("\"kind\":\"rollout\"");
    }

    @ParameterizedTest
    @ValueSource(strings = {"404", "500", "drop", "gateway"})
    void withoutThePromoterTheTimelineIsStillShownAndItsViewSaidUnavailable(String failure) {
        if (failure.equals("drop")) {
            stub.dropConnections("/api/promotions");
            stub.dropConnections("/api/rollouts");
        } else if (failure.equals("gateway")) {
            // A gateway in front of the rollback-service answers 200 with its own plain text.
            stub.answer("/api/promotions", 200, "text/plain", "[]");
            stub.answer("/api/rollouts", 200, "text/plain", "[]");
        } else {
            String body = failure.equals("404")
                    ? "{\"code\": \"NOT_FOUND\", \"message\": \"nothing at /api/promotions\"}"
                    : "{\"code\": \"INTERNAL\", \"message\": \"The rollback-service could not answer.\"}";
            stub.answer("/api/promotions", Integer.parseInt(failure), body);
            stub.answer("/api/rollouts", Integer.parseInt(failure), body);
        }

        String page = page("/flags/" + FLAG);

        String section = rolloutSection(page);
        String said =
                switch (failure) {
                    case "404" -> "the rollback-service has no promoter (HTTP 404).";
                    case "500" -> "The rollback-service could not answer. (INTERNAL).";
                    case "gateway" ->
                        "rollback-service gave an unexpected answer: HTTP 200 of type text/plain, not JSON.";
                    default -> "rollback-service is unavailable: the connection closed before an answer.";
                };
        assertThat(section)
                .contains("id=\"promoter-error\">The promoter&#39;s view is unavailable: " + said)
                .contains("data-phase=\"PROGRESSING\"")
                .contains("soak 350 s of 600 s, 250 s left")
                .contains("data-kind=\"UNKNOWN\">Not known: The promoter&#39;s view is unavailable")
                .contains("Not before its soak is over, at 2026-12-01 10:10:00Z.")
                .contains("id=\"rollout-promote\">Promote…</a>");
        assertThat(stepsSection(page))
                .contains("id=\"rollout-steps-error\">The promoter&#39;s steps are unavailable")
                .contains("The promoter has not moved this flag.");
        assertThat(page).contains("Checkout, rolled out by itself").doesNotContain("Exception:");
    }

    @Test
    void aFlagThePromoterDoesNotWatchSaysSo() {
        stub.answer("/api/promotions", 200, "[]");

        String section = page("/flags/" + FLAG + "/rollout");

        assertThat(section)
                .startsWith("<section")
                .contains("id=\"promoter-none\">The promoter does not watch this flag")
                .contains("Not known: the promoter does not watch this flag.");
    }

    @Test
    void theConfirmPageTiesTheWriteToItsKeyAndToTheStageItShowed() {
        timeline("PROGRESSING", 1, "\"stageVersion\": 13");
        stub.answer("/api/flags/" + FLAG + "/rollout/promote", 200, "{\"key\": \"" + FLAG + "\"}");
        String confirm = page("/flags/" + FLAG + "/rollout/promote");
        String key = keyOf(confirm);
        assertThat(key).startsWith("console-");
        assertThat(confirm).contains("name=\"stageVersion\" value=\"13\"");
        assertThat(keyOf(page("/flags/" + FLAG + "/rollout/promote")))
                .as("each page shown is a new attempt")
                .isNotEqualTo(key);

        // The same form sent twice (a double click) carries the same key both times.
        for (int i = 0; i < 2; i++) {
            sessionRequest()
                    .contentType(ContentType.URLENC)
                    .formParam("reason", "clean")
                    .formParam("_csrf", session.csrf())
                    .formParam("idempotencyKey", key)
                    .formParam("stageVersion", "13")
                    .post("/flags/" + FLAG + "/rollout/promote");
        }

        List<ServiceStub.Seen> promotes = stub.seen().stream()
                .filter(r -> r.pathAndQuery().equals("/api/flags/" + FLAG + "/rollout/promote"))
                .toList();
        assertThat(promotes).hasSize(2);
        assertThat(promotes).allSatisfy(r -> {
            assertThat(r.idempotencyKey()).isEqualTo(key);
            assertThat(r.body()).isEqualTo("{\"reason\":\"clean\",\"skipSoak\":false,\"stageVersion\":13}");
        });
    }

    @Test
    void aStageMoveSentTwiceCarriesTheKeyItsPageWasShownWith() {
        stub.answer("/api/flags/" + FLAG + "/stage", 200, "{\"key\": \"" + FLAG + "\"}");
        String key = keyOf(page("/flags/" + FLAG + "/revert"));

        for (int i = 0; i < 2; i++) {
            sessionRequest()
                    .contentType(ContentType.URLENC)
                    .formParam("reason", "too early")
                    .formParam("_csrf", session.csrf())
                    .formParam("idempotencyKey", key)
                    .post("/flags/" + FLAG + "/revert");
        }

        assertThat(stub.seen().stream()
                        .filter(r -> r.pathAndQuery().equals("/api/flags/" + FLAG + "/stage"))
                        .map(ServiceStub.Seen::idempotencyKey))
                .containsExactly(key, key);
    }

    @Test
    void aStageMoveNamesTheStageItsPageShowedSoAMoveFromAnotherStageIsRefused() {
        stub.answer(
                "/api/flags/" + FLAG,
                200,
                """
                {"key": "%s", "enabled": true, "rolloutPercentage": 50,
                 "stages": [{"name": "10%%", "percentage": 10}, {"name": "50%%", "percentage": 50}],
                 "currentStage": 1, "stageVersion": 21, "version": 22}
                """
                        .formatted(FLAG));
        String shown = page("/flags/" + FLAG + "/revert");
        assertThat(shown).contains("name=\"stageVersion\" value=\"21\"");
        stub.answer(
                "/api/flags/" + FLAG + "/stage",
                409,
                "{\"code\": \"STAGE_CHANGED\", \"message\": \"its stage began at 23\"}");

        Response refused = sessionRequest()
                .contentType(ContentType.URLENC)
                .formParam("reason", "too early")
                .formParam("_csrf", session.csrf())
                .formParam("idempotencyKey", keyOf(shown))
                .formParam("stageVersion", "21")
                .post("/flags/" + FLAG + "/revert");

        assertThat(refused.statusCode()).isEqualTo(409);
        assertThat(refused.asString()).contains("its stage began at 23 (STAGE_CHANGED)");
        ServiceStub.Seen sent = stub.seen().stream()
                .filter(r -> r.pathAndQuery().equals("/api/flags/" + FLAG + "/stage"))
                .findFirst()
                .orElseThrow();
        assertThat(sent.body()).contains("\"action\":\"revert\"").contains("\"stageVersion\":21");
    }

    @Test
    void aPromoteOfAStageThatMovedOnIsRefusedAndThePageShowsTheStageNow() {
        timeline("PROGRESSING", 2, "\"stageVersion\": 15");
        stub.answer(
                "/api/flags/" + FLAG + "/rollout/promote",
                409,
                "{\"code\": \"STAGE_CHANGED\", \"message\": \"the current stage did not begin at version 13\"}");

        Response refused = sessionRequest()
                .contentType(ContentType.URLENC)
                .formParam("reason", "clean")
                .formParam("_csrf", session.csrf())
                .formParam("idempotencyKey", "console-00000000-0000-0000-0000-000000000001")
                .formParam("stageVersion", "13")
                .post("/flags/" + FLAG + "/rollout/promote");

        assertThat(refused.statusCode()).isEqualTo(409);
        assertThat(refused.asString())
                .contains("the current stage did not begin at version 13 (STAGE_CHANGED)")
                .contains("name=\"stageVersion\" value=\"15\"")
                .doesNotContain("console-00000000-0000-0000-0000-000000000001");
    }

    @Test
    void aWriteWithoutAnAnswerMayHaveBeenAppliedAndKeepsItsKey() {
        stub.dropConnections("/api/flags/" + FLAG + "/rollout/pause");
        String key = "console-00000000-0000-0000-0000-000000000002";

        Response unanswered = sessionRequest()
                .contentType(ContentType.URLENC)
                .formParam("reason", "looking")
                .formParam("_csrf", session.csrf())
                .formParam("idempotencyKey", key)
                .post("/flags/" + FLAG + "/rollout/pause");

        assertThat(unanswered.statusCode()).isEqualTo(504);
        assertThat(unanswered.asString())
                .contains("The action may have been applied")
                .contains("name=\"idempotencyKey\" value=\"" + key + "\"")
                .contains("stays at stage 2. 10% (10 %)");
        assertThat(stub.seen()).anyMatch(r -> r.pathAndQuery().equals("/api/flags/" + FLAG + "/rollout"));
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "PAUSED  | 1 | \"paused\": true, \"pauseReason\": \"guard: p95\" | resume  | No promotion expected: the rollout is paused (guard: p95). Resume it to go on.",
                "KILLED  | 1 | \"killed\": true, \"killReason\": \"EU errors\"   | retry   | No promotion expected: the flag is killed (EU errors). After a fix, retry it.",
                "ABORTED |   | \"aborted\": true, \"abortedAtStage\": 1         | retry   | No promotion expected: the rollout is aborted. A retry takes it back to stage 2. 10% (10 %).",
            })
    void aStoppedRolloutSaysWhyAndOffersWhatLiftsIt(
            String phase, Integer current, String extra, String lifts, String outlook) {
        timeline(phase, current, extra);

        String section = page("/flags/" + FLAG + "/rollout");

        assertThat(section)
                .contains("data-phase=\"" + phase + "\"")
                .contains("data-kind=\"NONE\">" + outlook.replace("'", "&#39;") + "</p>")
                .contains("href=\"/flags/" + FLAG + "/rollout/" + lifts + "\"")
                .contains("<button type=\"button\" disabled id=\"rollout-promote\"");
    }

    @Test
    void eachControlAsksWhyAndSaysWhatItWillDo() {
        String promote = page("/flags/" + FLAG + "/rollout/promote");
        assertThat(promote)
                .contains("Move " + FLAG + " from stage 2. 10% (10 %) to stage 3. 50% (50 %): 50 % of users get the"
                        + " change, and its soak starts. The current stage&#39;s soak has 250 s left: the"
                        + " flag-service refuses unless you skip it.")
                .contains("<input type=\"checkbox\" id=\"skipSoak\" name=\"skipSoak\" value=\"true\" >")
                .contains("action=\"/flags/" + FLAG + "/rollout/promote\"")
                .contains("name=\"_csrf\" value=\"" + session.csrf() + "\"");
        assertThat(page("/flags/" + FLAG + "/rollout/pause"))
                .contains("stays at stage 2. 10% (10 %); nothing promotes it")
                .doesNotContain("skipSoak");
        assertThat(page("/flags/" + FLAG + "/rollout/abort"))
                .contains("Every client gets the off value of " + FLAG)
                .contains("class=\"danger\"");
        timeline("KILLED", 1, "\"killed\": true");
        assertThat(page("/flags/" + FLAG + "/rollout/retry"))
                .contains("After a fix: " + FLAG + "&#39;s kill is lifted and it goes back to stage 2. 10% (10 %)");
    }

    @Test
    void aControlCallsTheFlagServiceWithTheOperatorsTokenReasonAndSkipSoak() {
        stub.answer("/api/flags/" + FLAG + "/rollout/promote", 200, "{\"key\": \"" + FLAG + "\"}");
        stub.answer("/api/flags/" + FLAG + "/rollout/pause", 200, "{\"key\": \"" + FLAG + "\"}");

        Response promoted = form("promote", "  10% clean for a day  ", true);
        Response paused = form("pause", "looking at p95", false);

        assertThat(promoted.statusCode()).isEqualTo(303);
        assertThat(promoted.header("Location")).endsWith("/flags/" + FLAG + "?notice=promote");
        assertThat(paused.header("Location")).endsWith("/flags/" + FLAG + "?notice=pause");
        ServiceStub.Seen promote = sent("promote");
        assertThat(promote.method()).isEqualTo("POST");
        assertThat(promote.authorization()).isEqualTo("Bearer " + TOKEN);
        assertThat(promote.body()).isEqualTo("{\"reason\":\"10% clean for a day\",\"skipSoak\":true}");
        assertThat(sent("pause").body()).isEqualTo("{\"reason\":\"looking at p95\"}");
        assertThat(page("/flags/" + FLAG + "?notice=promote")).contains("Promoted to the next stage.");
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "promote | 409 | KILLED           | flag 'checkout.rollout' is killed (EU errors): cannot promote; after a fix, retry it",
                "promote | 409 | ABORTED          | flag 'checkout.rollout' is aborted (bad build): cannot promote; after a fix, retry it",
                "promote | 409 | PAUSED           | flag 'checkout.rollout' is paused (guard): resume it (with a reason) before promoting",
                "promote | 409 | LAST_STAGE       | flag 'checkout.rollout' is already at its last stage '100%' (100 %)",
                "promote | 409 | NO_STAGE         | flag 'checkout.rollout' has no rollout plan: set its stages to promote it",
                "promote | 409 | SOAK_NOT_ELAPSED | stage '10%' soaks until 2026-12-01T10:10:00Z (600 s); promote with skipSoak to go on now",
                "resume  | 409 | NOT_PAUSED       | flag 'checkout.rollout' is not paused: nothing to resume",
                "resume  | 422 | REASON_REQUIRED  | resume needs a reason",
                "abort   | 409 | ABORTED          | flag 'checkout.rollout' is already aborted: retry it after a fix",
                "abort   | 409 | NOT_STARTED      | flag 'checkout.rollout' is not on its rollout plan: kill it to switch it off for everyone",
                "abort   | 422 | REASON_REQUIRED  | abort needs a reason",
                "retry   | 409 | NOTHING_TO_RETRY | flag 'checkout.rollout' is neither aborted nor killed: promote, pause or resume it instead",
                "retry   | 422 | REASON_REQUIRED  | retry needs a reason",
                "pause   | 503 | UNAVAILABLE      | the database is unavailable",
            })
    void eachRefusalOfTheFlagServiceIsShownWithTheInputKept(String action, int status, String code, String message) {
        stub.answer(
                "/api/flags/" + FLAG + "/rollout/" + action,
                status,
                "{\"code\": \"" + code + "\", \"message\": \"" + message + "\"}");

        Response refused = form(action, "why <b>not</b>", true);

        assertThat(refused.statusCode()).isEqualTo(status >= 500 ? 502 : status);
        assertThat(refused.contentType()).startsWith("text/html");
        assertThat(refused.asString())
                .contains("id=\"confirm-error\">The flag-service refused: " + message.replace("'", "&#39;") + " ("
                        + code + ")</p>")
                .contains(">why &lt;b&gt;not&lt;/b&gt;</textarea>")
                .contains("action=\"/flags/" + FLAG + "/rollout/" + action + "\"");
        if (action.equals("promote")) {
            assertThat(refused.asString()).contains("name=\"skipSoak\" value=\"true\" checked>");
        }
    }

    @Test
    void aRefusedKillKeepsItsStatusAndCode() {
        stub.answer(
                "/api/flags/" + FLAG + "/kill",
                422,
                "{\"code\": \"REASON_REQUIRED\", \"message\": \"kill needs a reason\"}");

        Response refused = actionForm("kill", "why");

        assertThat(refused.statusCode()).isEqualTo(422);
        assertThat(refused.asString())
                .contains("id=\"confirm-error\">The flag-service refused: kill needs a reason (REASON_REQUIRED)</p>");
    }

    @Test
    void aRefusalStaysOnThePageWhenTheFlagCannotBeReadAgain() {
        stub.answer(
                "/api/flags/" + FLAG + "/rollout/promote",
                409,
                "{\"code\": \"PAUSED\", \"message\": \"flag is paused: resume it first\"}");
        stub.answer("/api/flags/" + FLAG + "/rollout", 500, "{\"code\": \"INTERNAL\", \"message\": \"db down\"}");
        stub.answer(
                "/api/flags/" + FLAG + "/revert",
                409,
                "{\"code\": \"NO_STAGE\", \"message\": \"flag has no rollout plan\"}");
        stub.answer("/api/flags/" + FLAG + "/stage", 409, "{\"code\": \"NO_STAGE\", \"message\": \"no plan\"}");
        stub.answer("/api/flags/" + FLAG, 500, "{\"code\": \"INTERNAL\", \"message\": \"db down\"}");

        Response promote = form("promote", "clean", true);
        Response revert = actionForm("revert", "too early");

        assertThat(promote.statusCode()).isEqualTo(409);
        assertThat(promote.asString())
                .contains("The flag-service refused: flag is paused: resume it first (PAUSED)")
                .contains("could not be read again (db down, INTERNAL)")
                .contains(">clean</textarea>")
                .contains("name=\"skipSoak\" value=\"true\" checked>");
        assertThat(revert.statusCode()).isEqualTo(409);
        assertThat(revert.asString())
                .contains("The flag-service refused: no plan (NO_STAGE)")
                .contains("could not be read again (db down, INTERNAL)")
                .contains("action=\"/flags/" + FLAG + "/revert\"");
    }

    @Test
    void aReasonOfSpacesAloneIsRefusedWhereTheFlagServiceRequiresOneAndNothingIsSent() {
        Response abort = form("abort", "   \n\t ", false);
        Response resume = form("resume", " ", false);
        Response retry = form("retry", "", false);
        Response kill = actionForm("kill", "  ");
        Response unkill = actionForm("unkill", " ");

        for (Response refused : List.of(abort, resume, retry, kill, unkill)) {
            assertThat(refused.statusCode()).isEqualTo(400);
            assertThat(refused.asString())
                    .contains("aria-invalid=\"true\"")
                    .contains("id=\"reason-error\">Write why: the reason is kept in the audit log, and spaces alone"
                            + " are no reason.</p>")
                    .contains("name=\"reason\" rows=\"3\" required");
        }
        assertThat(stub.seen()).noneMatch(r -> r.method().equals("POST"));
        for (String confirm : List.of("/flags/" + FLAG + "/kill", "/flags/" + FLAG + "/rollout/abort")) {
            assertThat(page(confirm)).contains("name=\"reason\" rows=\"3\" required", "Reason (required,");
        }
    }

    @Test
    void aReasonIsOptionalWhereTheFlagServiceTakesNoneSoABlankOneIsSent() {
        String flag = "{\"key\": \"%s\", \"enabled\": true, \"version\": 15}".formatted(FLAG);
        stub.answer("/api/flags/" + FLAG + "/rollout/promote", 200, flag);
        stub.answer("/api/flags/" + FLAG + "/rollout/pause", 200, flag);
        stub.answer("/api/flags/" + FLAG + "/stage", 200, flag);

        Response promote = form("promote", "  ", false);
        Response pause = form("pause", "", false);
        Response advance = actionForm("advance", " \n");

        for (Response sent : List.of(promote, pause, advance)) {
            assertThat(sent.statusCode()).as(sent.asString()).isIn(200, 303);
            assertThat(sent.asString()).doesNotContain("reason-error");
        }
        assertThat(sent("promote").body()).contains("\"reason\":\"\"");
        assertThat(sent("pause").body()).contains("\"reason\":\"\"");
        assertThat(stub.seen())
                .anyMatch(r -> r.method().equals("POST") && r.pathAndQuery().equals("/api/flags/" + FLAG + "/stage"));
        for (String confirm : List.of(
                "/flags/" + FLAG + "/rollout/promote",
                "/flags/" + FLAG + "/rollout/pause",
                "/flags/" + FLAG + "/advance")) {
            assertThat(page(confirm))
                    .contains("Reason (optional,")
                    .doesNotContain("name=\"reason\" rows=\"3\" required");
        }
    }

    @Test
    void theGlobalSwitchNeedsAReasonToGoOnButNotToGoOff() {
        stub.answer("/api/kill-switch", 200, "{\"on\": false}");

        Response on = killSwitch(true, "  ");
        assertThat(on.statusCode()).isEqualTo(400);
        assertThat(on.asString()).contains("id=\"reason-error\">", "name=\"reason\" rows=\"3\" required");
        assertThat(stub.seen()).noneMatch(r -> r.pathAndQuery().startsWith("/api/kill-switch"));

        Response off = killSwitch(false, " ");
        assertThat(off.statusCode()).as(off.asString()).isEqualTo(303);
        assertThat(stub.seen())
                .anyMatch(r -> r.method().equals("DELETE") && r.pathAndQuery().equals("/api/kill-switch?reason="));
    }

    private Response killSwitch(boolean on, String reason) {
        return sessionRequest()
                .contentType(ContentType.URLENC)
                .formParam("on", Boolean.toString(on))
                .formParam("reason", reason)
                .formParam("_csrf", session.csrf())
                .post("/kill-switch");
    }

    @ParameterizedTest
    @ValueSource(strings = {"?on=maybe", "?on=TRUE", "?on=", ""})
    void aGlobalSwitchDirectionThePageDoesNotLinkIsRefusedNotReadAsOff(String query) {
        Response confirm = sessionRequest().get("/kill-switch" + query);

        assertThat(confirm.statusCode()).as(confirm.asString()).isEqualTo(400);
        assertThat(confirm.asString())
                .contains("on=true or on=false")
                .doesNotContain("Turn the global kill switch OFF", "Turn the global kill switch ON");

        Response sent = sessionRequest()
                .contentType(ContentType.URLENC)
                .formParam("on", query.isEmpty() ? "maybe" : query.substring("?on=".length()))
                .formParam("reason", "why not")
                .formParam("_csrf", session.csrf())
                .post("/kill-switch");
        assertThat(sent.statusCode()).as(sent.asString()).isEqualTo(400);
        assertThat(stub.seen()).noneMatch(r -> r.pathAndQuery().startsWith("/api/kill-switch"));
    }

    @Test
    void theGlobalSwitchPagesTheFlagsPageLinksStillConfirm() {
        assertThat(page("/kill-switch?on=false"))
                .contains("Turn the global kill switch OFF")
                .contains("name=\"on\" value=\"false\"");
        assertThat(page("/kill-switch?on=true"))
                .contains("Turn the global kill switch ON")
                .contains("name=\"on\" value=\"true\"");
    }

    /**
     * A key or id in the console's address that the services refuse as malformed is the address's bad input: 400 with
     * the console's error page, the key shown without its control or format characters, never a 502.
     */
    @ParameterizedTest
    @ValueSource(
            strings = {
                "/flags/%00",
                "/flags/%00/edit",
                "/flags/%00/kill",
                "/flags/%00/rollout/promote",
                "/segments/%00/edit",
                "/segments/%00/delete",
                "/rollbacks/evidence?id=%00"
            })
    void aKeyTheServicesRefuseAsMalformedIsA400WithTheKeyCleaned(String path) {
        String refused =
                """
                {"code": "VALIDATION_FAILED", "message": "key: must not contain control characters (U+0000 at position 0)"}
                """;
        for (String api : List.of("/api/flags/\0", "/api/flags/\0/rollout", "/api/segments/\0", "/api/rollbacks/\0")) {
            stub.answer(api, 400, refused);
        }

        Response page = sessionRequest().urlEncodingEnabled(false).get(path);

        assertThat(page.statusCode()).as(page.asString()).isEqualTo(400);
        assertThat(page.contentType()).startsWith("text/html");
        assertThat(page.asString())
                .doesNotContain("\0")
                .contains("the key or id in the address is refused")
                .contains("must not contain control characters");
        assertThat(between(page.asString(), "<title>", "</title>")).doesNotContain("\0");
    }

    /** A service refusing the operator's token is no failing service: the page says so under 403, never 502. */
    @ParameterizedTest
    @ValueSource(
            strings = {
                "/flags/other",
                "/flags/other/edit",
                "/flags/other/kill",
                "/flags/other/rollout/promote",
                "/segments/other/edit",
                "/rollbacks/evidence?id=other"
            })
    void aKeyTheOperatorsTokenMayNotSeeIsA403(String path) {
        for (int refusal : List.of(401, 403)) {
            String code = refusal == 401 ? "UNAUTHORIZED" : "FORBIDDEN";
            for (String api : List.of(
                    "/api/flags/other", "/api/flags/other/rollout", "/api/segments/other", "/api/rollbacks/other")) {
                stub.answer(api, refusal, "{\"code\": \"" + code + "\", \"message\": \"not for this token\"}");
            }

            Response page = sessionRequest().get(path);

            assertThat(page.statusCode()).as(refusal + ": " + page.asString()).isEqualTo(403);
            assertThat(page.asString()).contains("Your token may not see ");
        }
    }

    @Test
    void aKeyWithABidiOverrideThatDoesNotExistIsA404WithTheKeyCleaned() {
        Response page = sessionRequest().urlEncodingEnabled(false).get("/flags/evil%E2%80%AEkey");

        assertThat(page.statusCode()).as(page.asString()).isEqualTo(404);
        assertThat(page.asString()).doesNotContain("\u202E").contains("Flag evil key does not exist.");
    }

    @Test
    void aReadOnlySessionSeesTheRolloutButNoControls() {
        session = sessions.open(TOKEN, "read-only", false);

        String section = page("/flags/" + FLAG + "/rollout");

        assertThat(section).contains("data-phase=\"PROGRESSING\"").doesNotContain("rollout-controls");
        Response confirm = sessionRequest().get("/flags/" + FLAG + "/rollout/promote");
        assertThat(confirm.statusCode()).isEqualTo(403);
        assertThat(form("promote", "x", false).statusCode()).isEqualTo(403);
        assertThat(stub.seen()).noneSatisfy(r -> assertThat(r.method()).isEqualTo("POST"));
    }

    @Test
    void aFormWithoutThisSessionsCsrfTokenChangesNothing() {
        Response forged = sessionRequest()
                .contentType(ContentType.URLENC)
                .formParam("reason", "forged")
                .formParam("_csrf", "not-the-token")
                .post("/flags/" + FLAG + "/rollout/abort");

        assertThat(forged.statusCode()).isEqualTo(403);
        assertThat(stub.seen()).noneSatisfy(r -> assertThat(r.method()).isEqualTo("POST"));
    }

    @Test
    void aFlagReadAgainAsAnUnexpectedAnswerIsSaidWithItsOwnCode() {
        ApiResult flag = ApiResult.unexpected("flag-service", "HTTP 200 of type text/plain, not JSON");

        assertThat(ActionResource.unreadEffect(FLAG, flag))
                .isEqualTo("What this does now is not known: " + FLAG + " could not be read again (flag-service gave"
                        + " an unexpected answer: HTTP 200 of type text/plain, not JSON, UNEXPECTED_ANSWER).");
    }

    @Test
    void hostileTextFromTheServicesIsEscaped() {
        timeline("PAUSED", 1, "\"paused\": true, \"pauseReason\": \"<script>alert(1)</script>\"");
        stub.answer(
                "/api/promotions",
                200,
                "[" + RolloutJson.assessment(FLAG, "HOLD", "", null, "\"<img src=x onerror=alert(2)>\"") + "]");

        String section = page("/flags/" + FLAG + "/rollout");

        assertThat(section)
                .doesNotContain("<script>")
                .doesNotContain("<img src=x")
                .contains("&lt;script&gt;alert(1)&lt;/script&gt;")
                .contains("&lt;img src=x onerror=alert(2)&gt;");
    }

    @Test
    void aTimelineTheFlagServiceCannotGiveIsSaidInTheSection() {
        stub.answer(
                "/api/flags/" + FLAG + "/rollout",
                503,
                "{\"code\": \"UNAVAILABLE\", \"message\": \"the database is unavailable\"}");

        String section = page("/flags/" + FLAG + "/rollout");

        assertThat(section)
                .contains("data-phase=\"ERROR\"")
                .contains("id=\"rollout-error\">The rollout timeline is unavailable: the database is unavailable"
                        + " (UNAVAILABLE).</p>")
                .doesNotContain("rollout-controls");
    }

    @Test
    void stepsAndFlagChangesOnTheTopicsReachTheFlagsPageLive() throws Exception {
        stub.answer("/api/rollouts", 404, "{\"code\": \"NOT_FOUND\", \"message\": \"nothing here\"}");
        String flag = "checkout.live-" + UUID.randomUUID().toString().substring(0, 8);
        List<LiveEvent> seen = new CopyOnWriteArrayList<>();
        history.stream().filter(e -> flag.equals(e.flagKey())).subscribe().with(seen::add);

        try (KafkaProducer<String, byte[]> producer = producer()) {
            RolloutActionEvent step = RolloutActionEvent.newBuilder()
                    .setActionId(flag + ":7:EXTEND")
                    .setFlagKey(flag)
                    .setAction(RolloutAction.EXTEND)
                    .setOutcome(RolloutOutcome.APPLIED)
                    .setReason("minimums not met by the deadline: extended once")
                    .setFromStageName("10%")
                    .setFromPercentage(10.0)
                    .setToStageName("10%")
                    .setToPercentage(10.0)
                    .setStageVersion(7)
                    .setMinClientsPerCohort(200)
                    .setTreatedClients(120)
                    .setControlClients(900)
                    .setDecidedAt(Instant.now())
                    .build();
            producer.send(new ProducerRecord<>(
                            Topics.ROLLOUTS,
                            flag,
                            AvroCodec.of(RolloutActionEvent.class).encode(step)))
                    .get(10, TimeUnit.SECONDS);
            FlagChangedEvent change = FlagChangedEvent.newBuilder()
                    .setEventId(UUID.randomUUID().toString())
                    .setFlagKey(flag)
                    .setVersion(8)
                    .setChangeType(FlagChangeType.PAUSED)
                    .setChangedAt(Instant.now())
                    .setActor("rollback-service")
                    .setEnabled(true)
                    .setValueType(FlagValueType.BOOLEAN)
                    .setTreatmentVariant("on")
                    .setOffVariant("off")
                    .setGuardPolicy(GuardPolicy.newBuilder()
                            .setAction(GuardAction.NOTIFY_ONLY)
                            .setDryRun(false)
                            .setCooldownSeconds(300)
                            .build())
                    .build();
            producer.send(new ProducerRecord<>(
                            Topics.FLAGS_CHANGES,
                            flag,
                            AvroCodec.of(FlagChangedEvent.class).encode(change)))
                    .get(10, TimeUnit.SECONDS);
        }

        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(
                        () -> assertThat(seen).extracting(LiveEvent::kind).contains("rollout", "flag"));
        String steps = page("/flags/" + flag + "/rollout-steps");
        assertThat(steps)
                .contains("data-action=\"EXTEND\"")
                .contains("minimums not met by the deadline: extended once")
                .contains("120 treated, 900 control; 200 needed in each")
                .contains("The promoter&#39;s steps are unavailable: the rollback-service has no promoter (HTTP 404).");
    }

    private void timeline(String phase, Integer current, String extra) {
        stub.answer("/api/flags/" + FLAG + "/rollout", 200, RolloutJson.timeline(FLAG, phase, current, extra));
    }

    private Response form(String action, String reason, boolean skipSoak) {
        RequestSpecification request = sessionRequest()
                .contentType(ContentType.URLENC)
                .formParam("reason", reason)
                .formParam("_csrf", session.csrf());
        if (skipSoak) {
            request = request.formParam("skipSoak", "true");
        }
        return request.post("/flags/" + FLAG + "/rollout/" + action);
    }

    /** A confirmed kill, un-kill or stage move. */
    private Response actionForm(String action, String reason) {
        return sessionRequest()
                .contentType(ContentType.URLENC)
                .formParam("reason", reason)
                .formParam("_csrf", session.csrf())
                .post("/flags/" + FLAG + "/" + action);
    }

    private static ServiceStub.Seen sent(String action) {
        return stub.seen().stream()
                .filter(r -> r.pathAndQuery().equals("/api/flags/" + FLAG + "/rollout/" + action))
                .findFirst()
                .orElseThrow(() -> new AssertionError("nothing sent to " + action + ": " + stub.seen()));
    }

    private RequestSpecification sessionRequest() {
        return given().redirects().follow(false).cookie(SessionStore.COOKIE, session.id());
    }

    private String page(String path) {
        Response response = sessionRequest().get(path);
        assertThat(response.statusCode()).as(path + ": " + response.asString()).isEqualTo(200);
        assertThat(response.contentType()).startsWith("text/html");
        return response.asString();
    }

    private static String rolloutSection(String page) {
        return between(page, "<section aria-labelledby=\"rollout-title\"", "<section aria-labelledby=\"guard-title\"");
    }

    private static String stepsSection(String page) {
        return between(page, "<section aria-labelledby=\"steps-title\"", "</section>");
    }

    private static String stage(String section, String status) {
        return between(section, "data-status=\"" + status + "\"", "</li>");
    }

    private static String row(String html, String marker) {
        return between(html, marker, "</tr>");
    }

    /** The Idempotency-Key a confirmation page's form carries. */
    private static String keyOf(String page) {
        String marker = "name=\"idempotencyKey\" value=\"";
        return between(page, marker, "\"").substring(marker.length());
    }

    private static String between(String text, String from, String to) {
        int start = text.indexOf(from);
        assertThat(start).as(from).isNotNegative();
        int end = text.indexOf(to, start + from.length());
        assertThat(end).as(to).isPositive();
        return text.substring(start, end);
    }

    private static KafkaProducer<String, byte[]> producer() {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedInfra.kafkaBootstrap());
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        return new KafkaProducer<>(props);
    }
}
