package dev.rollguard.console.view;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.rollguard.console.client.ApiResult;
import dev.rollguard.schemas.event.MetricEvidence;
import dev.rollguard.schemas.event.RolloutAction;
import dev.rollguard.schemas.event.RolloutActionEvent;
import dev.rollguard.schemas.event.RolloutOutcome;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The rollout views: the flag-service's timeline, which controls apply and why the others do not, the promoter's
 * assessment, the outlook (next promotion expected at, or why none is), and the promoter's steps from the topic and
 * from the rollback-service alike.
 */
class RolloutViewsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = "checkout.v2";

    @Test
    void theTimelineReadsEveryStageWithItsRulesAndTheSoakOfTheCurrentOne() {
        RolloutTimeline t = timeline("PROGRESSING", 1, "");

        assertThat(t.stages())
                .extracting(RolloutTimeline.Stage::label)
                .containsExactly("1. internal (0 %)", "2. 10% (10 %)", "3. 50% (50 %)", "4. 100% (100 %)");
        assertThat(t.stages())
                .extracting(RolloutTimeline.Stage::status)
                .containsExactly("COMPLETED", "CURRENT", "PENDING", "PENDING");
        assertThat(t.stages()).extracting(RolloutTimeline.Stage::auto).containsExactly(false, true, true, false);
        assertThat(t.current().minClientsPerCohort()).isEqualTo(200);
        assertThat(t.stages())
                .extracting(RolloutTimeline.Stage::tolerancePercent)
                .containsExactly(null, 50, null, null);
        assertThat(t.soakDone()).isEqualTo(350);
        assertThat(t.soakOver()).isFalse();
        assertThat(t.soakEndsAt()).isEqualTo(Instant.parse("2026-12-01T10:10:00Z"));
        assertThat(t.minimumsRule()).isEqualTo("within 86400 s, extended once by 43200 s, then revert");
        assertThat(t.next().name()).isEqualTo("50%");
    }

    @Test
    void aProgressingRolloutCanBePromotedPausedAndAbortedButNotResumedOrRetried() {
        Map<String, RolloutTimeline.Control> controls = controls(timeline("PROGRESSING", 1, ""));

        assertThat(controls.get("promote").enabled()).isTrue();
        assertThat(controls.get("pause").enabled()).isTrue();
        assertThat(controls.get("abort").enabled()).isTrue();
        assertThat(controls.get("abort").danger()).isTrue();
        assertThat(controls.get("resume").enabled()).isFalse();
        assertThat(controls.get("resume").why()).isEqualTo("not paused: nothing to resume");
        assertThat(controls.get("retry").enabled()).isFalse();
        assertThat(controls.get("retry").why()).isEqualTo("neither aborted nor killed: nothing to retry");
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "KILLED    | 1 | \"killed\": true, \"killReason\": \"EU errors\"    | promote | killed (EU errors): after a fix, retry it",
                "KILLED    | 1 | \"killed\": true, \"killReason\": \"EU errors\"    | resume  | not paused: nothing to resume",
                "ABORTED   |   | \"aborted\": true, \"abortReason\": \"bad build\", \"abortedAtStage\": 2 | promote | aborted (bad build): after a fix, retry it",
                "ABORTED   |   | \"aborted\": true, \"abortReason\": \"bad build\", \"abortedAtStage\": 2 | abort   | already aborted (bad build): retry it after a fix",
                "PAUSED    | 1 | \"paused\": true, \"pauseReason\": \"guard: p95\"   | promote | paused (guard: p95): resume it first",
                "PAUSED    | 1 | \"paused\": true, \"pauseReason\": \"guard: p95\"   | pause   | already paused (guard: p95)",
                "COMPLETED | 3 |                                                 | promote | already at its last stage",
                "NOT_STARTED |  |                                                | abort   | not on its rollout plan: kill it to switch it off for everyone",
            })
    void aControlThatCannotApplyIsDisabledWithTheFlagServicesReason(
            String phase, Integer current, String extra, String action, String why) {
        RolloutTimeline.Control control =
                controls(timeline(phase, current, extra == null ? "" : extra)).get(action);

        assertThat(control.enabled()).isFalse();
        assertThat(control.why()).isEqualTo(why);
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "KILLED  | 1 | \"killed\": true                                  | retry  | 2. 10% (10 %)",
                "ABORTED |   | \"aborted\": true, \"abortedAtStage\": 2          | retry  | 3. 50% (50 %)",
                "PAUSED  | 1 | \"paused\": true                                  | resume |",
            })
    void aStoppedRolloutOffersTheControlThatLiftsIt(
            String phase, Integer current, String extra, String action, String retryTarget) {
        RolloutTimeline t = timeline(phase, current, extra);

        assertThat(controls(t).get(action).enabled()).isTrue();
        if (retryTarget != null) {
            assertThat(t.retryTarget().label()).isEqualTo(retryTarget);
        }
    }

    @Test
    void withoutAPlanNothingCanBePromoted() {
        RolloutTimeline t = RolloutTimeline.of(
                json(
                        "{\"key\": \"k\", \"phase\": \"NO_PLAN\", \"rolloutPercentage\": 25.5, \"stages\": [], \"version\": 3}"));

        assertThat(t.rolloutPercentage()).isEqualTo("25.5");
        assertThat(controls(t).get("promote").why()).isEqualTo("no rollout plan: the share is set by hand");
        assertThat(section(t, promoterOk("WAIT", "", null, "")).outlook().text())
                .isEqualTo("No promotion expected: the flag has no rollout plan; its share is set by hand.");
    }

    @Test
    void thePromotersAssessmentSaysWhatItWaitsForAndWhetherTheMinimumsAreMet() {
        PromoterView p = promoterOk("WAIT", "\"SOAK\", \"MIN_CLIENTS\", \"VERDICT\"", null, "\"soak: 250 s left\"");

        assertThat(p.available()).isTrue();
        assertThat(p.watched()).isTrue();
        assertThat(p.waitingLabels())
                .containsExactly(
                        "the stage's soak time (250 s left)",
                        "enough clients in each cohort",
                        "the guard's verdict of no regression");
        assertThat(p.minimumsMet()).isFalse();
        assertThat(p.clientsLabel()).isEqualTo("120 treated, 900 control; 200 needed in each");
        assertThat(p.verdictLabel()).isEqualTo("INCONCLUSIVE at 99 % confidence");
        assertThat(p.verdictBadge()).isEqualTo("guard-inconclusive");
        assertThat(p.promotion()).isEqualTo("AUTO");
        assertThat(p.nextPercentage()).isEqualTo("50");
    }

    @Test
    void minimumsAreMetWhenBothCohortsReachThem() {
        String answer = "["
                + RolloutJson.assessment(KEY, "WAIT", "", null, "")
                        .replace("\"treatedClients\": 120", "\"treatedClients\": 200")
                + "]";

        assertThat(PromoterView.of(ok(answer), KEY).minimumsMet()).isTrue();
    }

    @Test
    void thePromoterUnreachableOrWithoutTheEndpointIsSaid() {
        assertThat(PromoterView.of(
                                new ApiResult(404, json("{\"code\": \"NOT_FOUND\", \"message\": \"x\"}"), "", null),
                                KEY)
                        .error())
                .isEqualTo("The promoter's view is unavailable: the rollback-service has no promoter (HTTP 404).");
        assertThat(PromoterView.of(ApiResult.unavailable("rollback-service", "could not connect"), KEY)
                        .error())
                .isEqualTo("The promoter's view is unavailable: rollback-service is unavailable: could not connect.");
        assertThat(PromoterView.of(new ApiResult(502, MissingNode.getInstance(), "<html>bad gateway</html>", null), KEY)
                        .error())
                .isEqualTo("The promoter's view is unavailable: the rollback-service answered HTTP 502.");
        // A gateway's 200 text/plain is the console's own account, not an HTTP 502 of the rollback-service.
        assertThat(PromoterView.of(
                                ApiResult.unexpected("rollback-service", "HTTP 200 of type text/plain, not JSON"), KEY)
                        .error())
                .isEqualTo("The promoter's view is unavailable: rollback-service gave an unexpected answer: HTTP 200"
                        + " of type text/plain, not JSON.");
        assertThat(PromoterView.of(ok("{\"flagKey\": \"x\"}"), KEY).error()).contains("not a list");
        PromoterView notWatched =
                PromoterView.of(ok("[" + RolloutJson.assessment("other", "WAIT", "", null, "") + "]"), KEY);
        assertThat(notWatched.available()).isTrue();
        assertThat(notWatched.watched()).isFalse();
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                // phase | current | extra | decision | expected at | kind | outlook
                "PROGRESSING | 1 | | WAIT | 2026-12-01T10:30:00Z | EXPECTED | Next promotion expected at 2026-12-01 10:30:00Z, to stage 3. 50% (50 %), if the evidence holds.",
                "PROGRESSING | 1 | | WAIT | | UNKNOWN | Not yet known: the promoter waits for the stage's soak time (250 s left); enough clients in each cohort.",
                "PROGRESSING | 1 | | PROMOTE | | DUE | Promotion due now: the promoter is promoting to stage 3. 50% (50 %).",
                "PROGRESSING | 1 | | HOLD | | NONE | No promotion expected: the promoter holds the stage: minimums not met after the extension.",
                "PROGRESSING | 1 | | REVERT | | NONE | No promotion expected: the promoter takes the stage back: minimums not met after the extension.",
                "PROGRESSING | 1 | | STOPPED | | NONE | No promotion expected: the promoter has stopped: minimums not met after the extension.",
                "PROGRESSING | 0 | | MANUAL | | NONE | No automatic promotion: stage 1. internal (0 %) is manual. Promote it by hand once its soak is over, at 2026-12-01 10:01:00Z.",
                "COMPLETED | 3 | | STOPPED | | NONE | No promotion expected: the rollout is complete, at its last stage 4. 100% (100 %).",
                "NOT_STARTED | | | STOPPED | | NONE | No promotion expected: the plan has not started. Promote to enter stage 1. internal (0 %).",
                "PAUSED | 1 | \"paused\": true, \"pauseReason\": \"guard: p95 regression\" | STOPPED | | NONE | No promotion expected: the rollout is paused (guard: p95 regression). Resume it to go on.",
                "KILLED | 1 | \"killed\": true, \"killReason\": \"EU errors\" | STOPPED | | NONE | No promotion expected: the flag is killed (EU errors). After a fix, retry it.",
                "ABORTED | | \"aborted\": true, \"abortReason\": \"bad build\", \"abortedAtStage\": 1 | STOPPED | | NONE | No promotion expected: the rollout is aborted (bad build). A retry takes it back to stage 2. 10% (10 %).",
            })
    void theOutlookSaysWhenTheNextPromotionIsExpectedOrWhyNoneIs(
            String phase, Integer current, String extra, String decision, String expected, String kind, String text) {
        PromoterView promoter =
                promoterOk(decision, "\"SOAK\", \"MIN_CLIENTS\"", expected, "\"minimums not met after the extension\"");
        if (decision.equals("WAIT") && expected == null) {
            promoter = promoterOk(decision, "\"SOAK\", \"MIN_CLIENTS\"", null, "");
        }

        RolloutSection.Outlook outlook = section(timeline(phase, current, extra == null ? "" : extra), promoter)
                .outlook();

        assertThat(outlook.kind()).isEqualTo(kind);
        assertThat(outlook.text()).isEqualTo(text);
    }

    @Test
    void withoutThePromoterTheOutlookFallsBackOnTheSoak() {
        PromoterView down = PromoterView.of(ApiResult.unavailable("rollback-service", "could not connect"), KEY);

        RolloutSection.Outlook outlook =
                section(timeline("PROGRESSING", 1, ""), down).outlook();

        assertThat(outlook.kind()).isEqualTo("UNKNOWN");
        assertThat(outlook.text())
                .isEqualTo("Not known: The promoter's view is unavailable: rollback-service is unavailable:"
                        + " could not connect. Not before its soak is over, at 2026-12-01 10:10:00Z.");
        PromoterView notWatched = PromoterView.of(ok("[]"), KEY);
        assertThat(section(timeline("PROGRESSING", 1, ""), notWatched).outlook().text())
                .startsWith("Not known: the promoter does not watch this flag.");
    }

    @Test
    void aStepFromTheRollbackServiceCarriesItsEvidence() {
        RolloutStep step = RolloutStep.of(json(RolloutJson.promoteStep(KEY, "checkout.v2:14:PROMOTE")));

        assertThat(step.id()).isEqualTo("checkout.v2:14:PROMOTE");
        assertThat(step.move()).isEqualTo("10% (10 %) → 50% (50 %)");
        assertThat(step.verdictLabel()).isEqualTo("HEALTHY at 99 % confidence");
        assertThat(step.clientsLabel()).isEqualTo("250 treated, 260 control; 200 needed in each");
        assertThat(step.at()).isEqualTo(Instant.parse("2026-12-01T10:10:41Z"));
        assertThat(step.metrics()).hasSize(2);
        assertThat(step.metrics().get(0).effectLabel()).isEqualTo("-8.3 %");
        assertThat(step.metrics().get(0).intervalLabel()).isEqualTo("[-20.0 %, +4.0 %]");
        assertThat(step.metrics().get(1).intervalLabel()).isNull();
        assertThat(Marker.of(step)).get().satisfies(m -> {
            assertThat(m.kind()).isEqualTo("rollout");
            assertThat(m.id()).isEqualTo("rollout:checkout.v2:14:PROMOTE");
            assertThat(m.label()).isEqualTo("PROMOTE APPLIED 10% (10 %) → 50% (50 %)");
        });
    }

    @Test
    void aStepFromTheTopicIsTheSameStep() {
        RolloutActionEvent event = RolloutActionEvent.newBuilder()
                .setActionId("checkout.v2:14:HOLD")
                .setFlagKey(KEY)
                .setAction(RolloutAction.HOLD)
                .setOutcome(RolloutOutcome.APPLIED)
                .setReason("minimums not met after the extension: 120 of 200 treated clients")
                .setFromStage(1)
                .setFromStageName("10%")
                .setFromPercentage(10.0)
                .setToStage(1)
                .setToStageName("10%")
                .setToPercentage(10.0)
                .setStageVersion(14)
                .setMinClientsPerCohort(200)
                .setTreatedClients(120)
                .setControlClients(900)
                .setMetrics(List.of(MetricEvidence.newBuilder()
                        .setMetric("failure")
                        .setStatus("INSUFFICIENT_DATA")
                        .setTreatedClients(120)
                        .setControlClients(900)
                        .build()))
                .setDecidedAt(Instant.parse("2026-12-02T10:00:00Z"))
                .build();

        RolloutStep step = RolloutStep.of(event);

        assertThat(step.id()).isEqualTo("checkout.v2:14:HOLD");
        assertThat(step.move()).isEqualTo("10% (10 %)");
        assertThat(step.verdictLabel()).isEqualTo("none");
        assertThat(step.at()).isEqualTo(Instant.parse("2026-12-02T10:00:00Z"));
        assertThat(step.metrics().get(0).effectLabel()).isEqualTo("-");
        assertThat(step.clientsLabel()).isEqualTo("120 treated, 900 control; 200 needed in each");
    }

    private static RolloutTimeline timeline(String phase, Integer current, String extra) {
        return RolloutTimeline.of(json(RolloutJson.timeline(KEY, phase, current, extra)));
    }

    private static RolloutSection section(RolloutTimeline t, PromoterView p) {
        return new RolloutSection(KEY, t, null, p);
    }

    private static PromoterView promoterOk(String decision, String waitingFor, String expected, String reasons) {
        return PromoterView.of(
                ok("[" + RolloutJson.assessment(KEY, decision, waitingFor, expected, reasons) + "]"), KEY);
    }

    private static Map<String, RolloutTimeline.Control> controls(RolloutTimeline t) {
        return t.controls().stream().collect(Collectors.toMap(RolloutTimeline.Control::action, c -> c));
    }

    private static ApiResult ok(String body) {
        return new ApiResult(200, json(body), body, null);
    }

    private static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (Exception e) {
            throw new IllegalArgumentException(text, e);
        }
    }
}
