package dev.rollguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The rollout commands against a stand-in flag-service ({@link ServiceStub}): the request each command makes, what it
 * prints, and its exit code.
 */
class RolloutCommandsTest {

    private static final String FLAG =
            """
            {"key": "checkout", "enabled": true, "killed": false, "paused": false, "archived": false,
             "rolloutPercentage": 50, "currentStage": 2,
             "stages": [{"name": "internal"}, {"name": "10%"}, {"name": "50%"}, {"name": "100%"}], "version": 7}
            """;

    private static final String PAUSED_TIMELINE =
            """
            {"key": "checkout", "phase": "PAUSED", "enabled": true, "rolloutPercentage": 10,
             "currentStage": 1, "stageEnteredAt": "2026-01-01T10:00:00Z", "secondsInStage": 725,
             "soakRemainingSeconds": 2875, "paused": true, "pauseReason": "guard: p95 latency up",
             "killed": false, "aborted": false,
             "onMinimumsNotMet": {"deadlineSeconds": 86400, "extensionSeconds": 43200, "then": "hold"},
             "stages": [
               {"index": 0, "name": "internal", "percentage": 0, "minSoakSeconds": 0, "minClientsPerCohort": 0,
                "promotion": "manual", "status": "COMPLETED"},
               {"index": 1, "name": "10%", "percentage": 10, "minSoakSeconds": 3600, "minClientsPerCohort": 200,
                "promotion": "auto", "tolerancePercent": 50, "status": "CURRENT"},
               {"index": 2, "name": "50%", "percentage": 50, "minSoakSeconds": 3600, "minClientsPerCohort": 200,
                "promotion": "auto", "status": "PENDING"}],
             "version": 5, "at": "2026-01-01T10:12:05Z"}
            """;

    private static final String ABORTED_TIMELINE =
            """
            {"key": "checkout", "phase": "ABORTED", "enabled": true, "rolloutPercentage": 0,
             "currentStage": null, "paused": false, "killed": false,
             "aborted": true, "abortReason": "checkout errors", "abortedAtStage": 1,
             "stages": [
               {"index": 0, "name": "internal", "percentage": 0, "minSoakSeconds": 0, "minClientsPerCohort": 0,
                "promotion": "manual", "status": "COMPLETED"},
               {"index": 1, "name": "10%", "percentage": 10, "minSoakSeconds": 3600, "minClientsPerCohort": 200,
                "promotion": "auto", "status": "STOPPED"}],
             "version": 6}
            """;

    private final ServiceStub stub = new ServiceStub();
    private final List<ServiceStub.Request> requests = stub.requests;
    private final StringBuilder out = new StringBuilder();
    private final StringBuilder err = new StringBuilder();

    @AfterEach
    void stop() {
        stub.close();
    }

    @Test
    void getPrintsThePlanAsATimeline() {
        answer("GET /api/flags/checkout/rollout", 200, PAUSED_TIMELINE);

        assertThat(run("rollout", "get", "checkout")).isZero();

        assertThat(printed())
                .contains("Name:          checkout")
                .contains("Status:        Paused (to go on: bin/rollguard rollout resume checkout --reason '...')")
                .contains("paused: guard: p95 latency up")
                .contains("Rollout:       10 %")
                .contains("Stage:         2/3 10% (promotion auto; promotes once every guarded metric is shown within"
                        + " +50 %)")
                .contains("In stage:      12m 5s since 2026-01-01T10:00:00Z; soak 1h, 47m 55s left")
                .contains("Minimums:      200 clients per cohort")
                .contains("Not met in:    1d: extend 12h once, then hold");
        List<String> lines = printed().lines().toList();
        assertThat(lines)
                .anySatisfy(l -> assertThat(l).matches("✔ 1\\s+internal\\s+0 %\\s+0s\\s+0\\s+manual\\s+done"))
                .anySatisfy(l -> assertThat(l).matches("► 2\\s+10%\\s+10 %\\s+1h\\s+200\\s+auto\\s+current, paused"))
                .anySatisfy(l -> assertThat(l).matches("\\s*3\\s+50%\\s+50 %\\s+1h\\s+200\\s+auto"));
    }

    @Test
    void getShowsWhereAnAbortedRolloutStoppedAndHowToRetry() {
        answer("GET /api/flags/checkout/rollout", 200, ABORTED_TIMELINE);

        assertThat(run("rollout", "get", "checkout")).isZero();

        assertThat(printed())
                .contains("Status:        ABORTED (after a fix: bin/rollguard rollout retry checkout --reason '...')")
                .contains("aborted at stage 2/2 10%: checkout errors")
                .contains("Rollout:       0 % (serving the off value to everyone)")
                .contains("Stage:         -")
                .contains("aborted here");
    }

    @Test
    void getWithJsonOutputPrintsTheServiceAnswer() throws IOException {
        answer("GET /api/flags/checkout/rollout", 200, PAUSED_TIMELINE);

        assertThat(run("rollout", "get", "checkout", "-o", "json")).isZero();

        JsonNode printed = RollguardApi.JSON.readTree(printed());
        assertThat(printed.path("phase").asText()).isEqualTo("PAUSED");
    }

    @Test
    void eachControlPostsItsReasonAndActorAndPrintsTheNewStage() throws IOException {
        for (String control : List.of("promote", "pause", "resume", "abort", "retry")) {
            answer("POST /api/flags/checkout/rollout/" + control, 200, FLAG);
        }

        assertThat(run("rollout", "resume", "checkout", "--reason", "latency explained", "--actor", "alice"))
                .isZero();
        assertThat(run("rollout", "abort", "checkout", "--reason", "checkout errors"))
                .isZero();
        assertThat(run("rollout", "retry", "checkout", "--reason", "fixed in 2.3.1"))
                .isZero();
        assertThat(run("rollout", "pause", "checkout")).isZero();
        assertThat(run("rollout", "promote", "checkout", "--reason", "release day", "--skip-soak"))
                .isZero();

        assertThat(requests)
                .extracting(ServiceStub.Request::path)
                .containsExactly(
                        "/api/flags/checkout/rollout/resume",
                        "/api/flags/checkout/rollout/abort",
                        "/api/flags/checkout/rollout/retry",
                        "/api/flags/checkout/rollout/pause",
                        "/api/flags/checkout/rollout/promote");
        assertThat(requests.get(0).actor()).isEqualTo("alice");
        assertThat(json(requests.get(0).body()).path("reason").asText()).isEqualTo("latency explained");
        assertThat(json(requests.get(2).body()).path("reason").asText()).isEqualTo("fixed in 2.3.1");
        assertThat(json(requests.get(3).body()).path("reason").isNull()).isTrue();
        JsonNode promote = json(requests.get(4).body());
        assertThat(promote.path("reason").asText()).isEqualTo("release day");
        assertThat(promote.path("skipSoak").asBoolean()).isTrue();
        assertThat(printed()).contains("checkout: resumed; stage 3/4 50%, rollout 50 %, state on");
    }

    @Test
    void resumeAbortAndRetryNeedAReasonBeforeAnythingIsSent() {
        assertThat(run("rollout", "resume", "checkout")).isEqualTo(2);
        assertThat(run("rollout", "abort", "checkout")).isEqualTo(2);
        assertThat(run("rollout", "retry", "checkout")).isEqualTo(2);
        assertThat(run("rollout")).isEqualTo(2);
        assertThat(requests).isEmpty();
    }

    @Test
    void aRefusalExitsNonZeroWithTheServicesCodeAndMessage() {
        answer(
                "POST /api/flags/checkout/rollout/promote",
                409,
                "{\"code\":\"KILLED\",\"message\":\"flag 'checkout' is killed (crash rate): cannot promote\"}");

        assertThat(run("rollout", "promote", "checkout")).isEqualTo(1);

        assertThat(err.toString())
                .contains("promoted checkout failed (409 KILLED): flag 'checkout' is killed (crash rate)");
    }

    @Test
    void stageNextIsAPromoteWithItsRefusals() {
        answer(
                "POST /api/flags/checkout/rollout/promote",
                409,
                "{\"code\":\"PAUSED\",\"message\":\"flag 'checkout' is paused\"}");

        assertThat(run("stage", "checkout", "next")).isEqualTo(1);

        assertThat(requests)
                .extracting(ServiceStub.Request::path)
                .containsExactly("/api/flags/checkout/rollout/promote");
        assertThat(err.toString()).contains("409 PAUSED");
    }

    @Test
    void stageSendsTheStageVersionOnlyWhenGiven() throws IOException {
        answer("POST /api/flags/checkout/stage", 200, FLAG);
        answer("POST /api/flags/checkout/rollout/promote", 200, FLAG);

        assertThat(run("stage", "checkout", "set", "3", "--stage-version", "7")).isZero();
        assertThat(run("stage", "checkout", "back", "--stage-version", "7")).isZero();
        assertThat(run("stage", "checkout", "next", "--stage-version", "7")).isZero();
        assertThat(run("stage", "checkout", "back")).isZero();

        assertThat(requests)
                .extracting(ServiceStub.Request::path)
                .containsExactly(
                        "/api/flags/checkout/stage",
                        "/api/flags/checkout/stage",
                        "/api/flags/checkout/rollout/promote",
                        "/api/flags/checkout/stage");
        JsonNode set = json(requests.get(0).body());
        assertThat(set.path("action").asText()).isEqualTo("set");
        assertThat(set.path("stage").asInt()).isEqualTo(2);
        assertThat(set.path("stageVersion").isIntegralNumber()).isTrue();
        assertThat(set.path("stageVersion").asLong()).isEqualTo(7);
        assertThat(json(requests.get(1).body()).path("stageVersion").asLong()).isEqualTo(7);
        assertThat(json(requests.get(2).body()).path("stageVersion").asLong()).isEqualTo(7);
        assertThat(json(requests.get(3).body()).has("stageVersion")).isFalse();
        assertThat(printed()).contains("checkout: stage 3/4 50%, rollout 50 %");
    }

    @Test
    void theStageVersionToPassIsShownByFlagAndTheOptionByHelp() {
        answer("GET /api/flags/checkout", 200, FLAG.replace("\"version\": 7", "\"version\": 9, \"stageVersion\": 7"));

        assertThat(run("flag", "checkout")).isZero();
        assertThat(run("stage", "--help")).isZero();

        assertThat(printed())
                .contains("Stage:        3/4 50% (stage version 7)")
                .contains("--stage-version=V")
                .contains("STAGE_CHANGED");
    }

    @Test
    void aStageMoveDecidedOnAnEarlierStageIsRefusedWithTheServicesCode() {
        answer(
                "POST /api/flags/checkout/stage",
                409,
                "{\"code\":\"STAGE_CHANGED\",\"message\":\"flag 'checkout' is in stage '50%' (version 9), not the"
                        + " stage of version 7\"}");

        assertThat(run("stage", "checkout", "back", "--stage-version", "7")).isEqualTo(1);

        assertThat(err.toString()).contains("409 STAGE_CHANGED").contains("not the stage of version 7");
    }

    @Test
    void aStageVersionThatIsNoFlagVersionIsAUsageErrorAndNothingIsSent() {
        assertThat(run("stage", "checkout", "back", "--stage-version", "0")).isEqualTo(2);
        assertThat(run("stage", "checkout", "back", "--stage-version", "-3")).isEqualTo(2);
        assertThat(run("stage", "checkout", "back", "--stage-version", "seven")).isEqualTo(2);
        assertThat(requests).isEmpty();
        assertThat(err.toString()).contains("--stage-version is a flag version, 1 or more; got 0");
    }

    @Test
    void durationsShowTheTwoLargestUnits() {
        assertThat(RolloutTimeline.duration(0)).isEqualTo("0s");
        assertThat(RolloutTimeline.duration(45)).isEqualTo("45s");
        assertThat(RolloutTimeline.duration(3600)).isEqualTo("1h");
        assertThat(RolloutTimeline.duration(5400)).isEqualTo("1h 30m");
        assertThat(RolloutTimeline.duration(3605)).isEqualTo("1h");
        assertThat(RolloutTimeline.duration(183_600)).isEqualTo("2d 3h");
    }

    private void answer(String request, int status, String body) {
        stub.answer(request, status, body);
    }

    private int run(String... args) {
        ServiceStub.Result result = stub.run(args);
        out.append(result.out());
        err.append(result.err());
        return result.exitCode();
    }

    private String printed() {
        return out.toString();
    }

    private static JsonNode json(String body) throws IOException {
        return RollguardApi.JSON.readTree(body);
    }
}
