package dev.rollguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code rollout get [--watch]} with the promoter's view: the flag-service's timeline and the rollback-service's
 * {@code /api/promotions} on a {@link ServiceStub}, refreshed in place on a terminal, a line per change elsewhere, a
 * JSON document per refresh with {@code -o json}; and the timeline alone when the promoter cannot be read.
 */
class RolloutWatchTest {

    private static final String TIMELINE =
            """
            {"key": "checkout", "phase": "PROGRESSING", "enabled": true, "rolloutPercentage": %s,
             "currentStage": %d, "stageEnteredAt": "2026-01-01T10:00:00Z", "secondsInStage": 725,
             "soakRemainingSeconds": 2875, "paused": false, "killed": false, "aborted": false,
             "stages": [
               {"index": 0, "name": "internal", "percentage": 0, "minSoakSeconds": 0, "minClientsPerCohort": 0,
                "promotion": "manual", "status": "COMPLETED"},
               {"index": 1, "name": "10%%", "percentage": 10, "minSoakSeconds": 3600, "minClientsPerCohort": 200,
                "promotion": "auto", "status": "%s"},
               {"index": 2, "name": "50%%", "percentage": 50, "minSoakSeconds": 3600, "minClientsPerCohort": 200,
                "promotion": "auto", "status": "%s"}],
             "version": 5}
            """;

    private static final String AT_TEN = TIMELINE.formatted(10, 1, "CURRENT", "PENDING");
    private static final String AT_FIFTY = TIMELINE.formatted(50, 2, "COMPLETED", "CURRENT");

    private static final String WAITING =
            """
            [{"flagKey": "checkout", "phase": "PROGRESSING", "promotion": "AUTO", "stage": 1, "stageName": "10%%",
              "percentage": 10, "nextStage": 2, "nextStageName": "50%%", "nextPercentage": 50, "stageVersion": 5,
              "stageEnteredAt": "2026-01-01T10:00:00Z", "decision": "%s", "waitingFor": [%s],
              "reasons": ["soak: 47m 55s of 1h left", "treated cohort: 120 clients of 200"],
              "soakRemainingSeconds": %d, "minClientsPerCohort": 200, "treatedClients": %d, "controlClients": 250,
              "verdict": "INCONCLUSIVE", "confidence": 0.95, "deadline": "2026-01-02T10:00:00Z", "extended": true,
              "expectedPromotionAt": "2026-01-01T11:00:00Z", "assessedAt": "2026-01-01T10:12:00Z"}]
            """;

    private static String promotions(String decision, String waitingFor, long soakLeft, long treated) {
        return WAITING.formatted(decision, waitingFor, soakLeft, treated);
    }

    private final ServiceStub stub = new ServiceStub();
    private final ServiceStub.SteppedClock clock = new ServiceStub.SteppedClock(Instant.parse("2026-01-01T10:12:05Z"));

    @AfterEach
    void stop() {
        stub.close();
    }

    @Test
    void getShowsWhatThePromoterWaitsForAndWhenItExpectsTheNextPromotion() {
        stub.answer("GET /api/flags/checkout/rollout", 200, AT_TEN);
        stub.answer("GET /api/promotions", 200, promotions("WAIT", "\"SOAK\", \"MIN_CLIENTS\"", 2875, 120));

        ServiceStub.Result result = stub.run("rollout", "get", "checkout");

        assertThat(result.exitCode()).isZero();
        assertThat(result.out())
                .contains("Stage:         2/3 10% (promotion auto)")
                .contains("Minimums:      200 clients per cohort; seen: treated 120 (not met), control 250 (met)")
                .contains("Promoter:      WAIT (promotion AUTO), assessed at 2026-01-01T10:12:00Z")
                .contains("Waiting for:   soak time (47m 55s left), minimum clients")
                .contains("Verdict:       INCONCLUSIVE (confidence 95 %)")
                .contains("Next:          3/3 50% (50 %), next promotion expected at 2026-01-01T11:00:00Z (in 47m 55s)")
                .contains("Deadline:      minimums due by 2026-01-02T10:00:00Z (in 23h 47m), extended once")
                .contains("Reasons:       soak: 47m 55s of 1h left\n               treated cohort: 120 clients of 200")
                .doesNotContain(RolloutTimeline.CLEAR_SCREEN);
        assertThat(stub.requests)
                .filteredOn(r -> r.path().equals("/api/promotions"))
                .singleElement()
                .satisfies(r -> {
                    assertThat(r.query()).isEqualTo("flag=checkout");
                    assertThat(r.authorization()).isEqualTo("Bearer admin-token");
                });
    }

    @Test
    void aManualStageSaysWhoPromotesIt() {
        stub.answer("GET /api/flags/checkout/rollout", 200, AT_TEN);
        stub.answer(
                "GET /api/promotions",
                200,
                promotions("MANUAL", "", 0, 250)
                        .replace("\"expectedPromotionAt\": \"2026-01-01T11:00:00Z\"", "\"expectedPromotionAt\": null"));

        ServiceStub.Result result = stub.run("rollout", "get", "checkout");

        assertThat(result.out())
                .contains(
                        "Promoter:      MANUAL: a person promotes this stage (bin/rollguard rollout promote checkout)")
                .contains("Next:          3/3 50% (50 %), when a person promotes it")
                .doesNotContain("Waiting for:");
    }

    @Test
    void withoutThePromoterTheTimelineIsPrintedWithOneLineSayingSo() {
        stub.answer("GET /api/flags/checkout/rollout", 200, AT_TEN);

        ServiceStub.Result notDeployed = stub.run("rollout", "get", "checkout");

        String flagService = stub.url();
        RollguardApi unreachable = new RollguardApi(new RollguardApi.Endpoints(
                flagService, flagService, flagService, "http://127.0.0.1:1", "admin-token", null, null));
        ServiceStub.Result down =
                ServiceStub.run(unreachable, ServiceStub.screen(clock, false), "rollout", "get", "checkout");

        stub.answer("GET /api/promotions", 200, "[]");
        ServiceStub.Result notWatched = stub.run("rollout", "get", "checkout");

        assertThat(notDeployed.exitCode()).isZero();
        assertThat(notDeployed.out())
                .contains("Stage:         2/3 10% (promotion auto)")
                .contains("Minimums:      200 clients per cohort\n")
                .contains("Promoter:      view unavailable (the rollback-service answered HTTP 404 NOT_FOUND)");
        assertThat(down.exitCode()).isZero();
        assertThat(down.out())
                .contains("Stage:         2/3 10% (promotion auto)")
                .contains("Promoter:      view unavailable (cannot reach http://127.0.0.1:1/");
        assertThat(notWatched.out()).contains("Promoter:      not watching this flag");
        assertThat(List.of(notDeployed.out(), down.out(), notWatched.out()))
                .allSatisfy(out -> assertThat(out.lines().filter(l -> l.startsWith("Promoter:")))
                        .hasSize(1));
    }

    @Test
    void watchOnATerminalRedrawsInPlaceUntilStopped() {
        stub.answer("GET /api/flags/checkout/rollout", 200, AT_TEN);
        stub.answer("GET /api/promotions", 200, promotions("WAIT", "\"SOAK\"", 2875, 250));
        List<Long> pauses = new ArrayList<>();
        RollguardCli.Screen terminal = new RollguardCli.Screen(true, clock, pause -> {
            if (pauses.size() == 2) {
                return false; // Ctrl-C
            }
            pauses.add(pause.toSeconds());
            clock.advance(pause.toSeconds());
            stub.answer("GET /api/flags/checkout/rollout", 200, AT_FIFTY);
            stub.answer("GET /api/promotions", 200, "[]");
            return true;
        });

        ServiceStub.Result result =
                ServiceStub.run(stub.api(), terminal, "rollout", "get", "checkout", "--watch", "--interval", "7");

        assertThat(result.exitCode()).isZero();
        assertThat(pauses).containsExactly(7L, 7L);
        String[] frames = result.out().split(Pattern.quote(RolloutTimeline.CLEAR_SCREEN), -1);
        assertThat(frames).hasSize(4);
        assertThat(frames[0]).isEmpty();
        assertThat(frames[1])
                .contains("Stage:         2/3 10%")
                .contains("Waiting for:   soak time (47m 55s left)")
                .contains("Refreshed at 2026-01-01T10:12:05Z, every 7s; Ctrl-C to stop.");
        assertThat(frames[2])
                .contains("Stage:         3/3 50%")
                .contains("Promoter:      not watching this flag")
                .contains("Refreshed at 2026-01-01T10:12:12Z, every 7s; Ctrl-C to stop.");
        assertThat(frames[3]).contains("Refreshed at 2026-01-01T10:12:19Z");
        assertThat(stub.requests).filteredOn(r -> r.path().endsWith("/rollout")).hasSize(3);
    }

    @Test
    void watchInAPipePrintsTheTimelineThenALinePerChange() {
        List<String[]> refreshes = List.of(
                new String[] {AT_TEN, promotions("WAIT", "\"SOAK\", \"MIN_CLIENTS\"", 2875, 120)},
                new String[] {AT_TEN, promotions("WAIT", "\"SOAK\", \"MIN_CLIENTS\"", 2870, 120)},
                new String[] {AT_TEN, promotions("WAIT", "\"SOAK\"", 2865, 230)},
                new String[] {AT_TEN, promotions("PROMOTE", "", 0, 230)},
                new String[] {AT_FIFTY, "[]"});
        AtomicInteger refresh = new AtomicInteger();
        stub.answer("GET /api/flags/checkout/rollout", 200, refreshes.get(0)[0]);
        stub.answer("GET /api/promotions", 200, refreshes.get(0)[1]);
        RollguardCli.Screen pipe = new RollguardCli.Screen(false, clock, pause -> {
            int next = refresh.get() + 1;
            if (next == refreshes.size()) {
                return false;
            }
            refresh.set(next);
            clock.advance(pause.toSeconds());
            stub.answer("GET /api/flags/checkout/rollout", 200, refreshes.get(next)[0]);
            stub.answer("GET /api/promotions", 200, refreshes.get(next)[1]);
            return true;
        });

        ServiceStub.Result result = ServiceStub.run(stub.api(), pipe, "rollout", "get", "checkout", "-w");

        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).doesNotContain(RolloutTimeline.CLEAR_SCREEN);
        assertThat(result.out().lines().filter(l -> l.startsWith("Name:"))).hasSize(1);
        List<String> changes =
                result.out().lines().filter(l -> l.startsWith("2026-01-01T")).toList();
        assertThat(changes)
                .containsExactly(
                        "2026-01-01T10:12:05Z  checkout PROGRESSING · stage 2/3 10% (10 %) · WAIT for soak time,"
                                + " minimum clients · clients 120/250 of 200 · verdict INCONCLUSIVE (confidence 95 %)"
                                + " · next promotion expected at 2026-01-01T11:00:00Z",
                        "2026-01-01T10:12:15Z  checkout PROGRESSING · stage 2/3 10% (10 %) · WAIT for soak time"
                                + " · clients 230/250 of 200 · verdict INCONCLUSIVE (confidence 95 %)"
                                + " · next promotion expected at 2026-01-01T11:00:00Z",
                        "2026-01-01T10:12:20Z  checkout PROGRESSING · stage 2/3 10% (10 %) · PROMOTE"
                                + " · clients 230/250 of 200 · verdict INCONCLUSIVE (confidence 95 %)"
                                + " · next promotion expected at 2026-01-01T11:00:00Z",
                        "2026-01-01T10:12:25Z  checkout PROGRESSING · stage 3/3 50% (50 %) · promoter not watching");
    }

    @Test
    void watchWithJsonPrintsOneDocumentPerRefresh() throws IOException {
        stub.answer("GET /api/flags/checkout/rollout", 200, AT_TEN);
        AtomicInteger pauses = new AtomicInteger();
        RollguardCli.Screen pipe = new RollguardCli.Screen(false, clock, pause -> {
            stub.answer("GET /api/promotions", 200, promotions("WAIT", "\"VERDICT\"", 0, 250));
            return pauses.incrementAndGet() < 3;
        });

        ServiceStub.Result result =
                ServiceStub.run(stub.api(), pipe, "-o", "json", "rollout", "get", "checkout", "--watch");

        assertThat(result.exitCode()).isZero();
        List<String> lines = result.out().lines().toList();
        assertThat(lines).hasSize(3);
        JsonNode first = RollguardApi.JSON.readTree(lines.get(0));
        assertThat(first.path("phase").asText()).isEqualTo("PROGRESSING");
        assertThat(first.path("promotion").isNull()).isTrue();
        assertThat(first.path("promotionUnavailable").asText()).contains("HTTP 404");
        for (String line : lines.subList(1, 3)) {
            JsonNode document = RollguardApi.JSON.readTree(line);
            assertThat(document.path("currentStage").asInt()).isEqualTo(1);
            assertThat(document.path("promotion").path("waitingFor").get(0).asText())
                    .isEqualTo("VERDICT");
            assertThat(document.has("promotionUnavailable")).isFalse();
        }
    }

    @Test
    void aWatchStopsWithExitOneWhenTheFlagServiceFails() {
        stub.answer("GET /api/flags/checkout/rollout", 200, AT_TEN);
        RollguardCli.Screen pipe = new RollguardCli.Screen(false, clock, pause -> {
            stub.answer("GET /api/flags/checkout/rollout", 404, "{\"code\":\"FLAG_NOT_FOUND\",\"message\":\"gone\"}");
            return true;
        });

        ServiceStub.Result result = ServiceStub.run(stub.api(), pipe, "rollout", "get", "checkout", "--watch");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err()).contains("reading the rollout of checkout failed (404 FLAG_NOT_FOUND): gone");
    }
}
