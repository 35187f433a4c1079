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
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Pages that read several services ask them at once and wait until one deadline ({@code
 * console.services.page-deadline}, 5 s): a service slower than that (here 8 s, within the 10 s a single call may take)
 * is said unavailable in its own section, the rest of the page is shown, and the page does not wait for each slow
 * service in turn.
 */
@QuarkusTest
@QuarkusTestResource(value = StubbedServices.class, restrictToAnnotatedClass = true)
class PageDeadlineTest {

    private static final String FLAG = "checkout.new-flow";
    private static final Duration SLOW = Duration.ofSeconds(8);
    /** Well under the slow answers one after another (24 s), well over the page deadline (5 s). */
    private static final long UPPER_BOUND_MS = 15_000;

    private static ServiceStub stub;

    @Inject
    SessionStore sessions;

    private OperatorSession session;

    @BeforeEach
    void slowAlertAndRollbackServices() {
        stub = StubbedServices.stub();
        stub.reset();
        session = sessions.open("deadline-token", "admin", true);
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
        stub.answer("/api/flags", 200, "[]");
        stub.answer(
                "/api/audit",
                200,
                """
                [{"id": 3, "flagKey": "%s", "action": "KILL", "actor": "ana", "tokenName": "admin",
                  "reason": "checkout errors", "at": "2026-12-01T10:00:00Z"}]
                """
                        .formatted(FLAG));
        for (String path : new String[] {"/api/alerts", "/api/guard", "/api/rollbacks", "/api/rollouts"}) {
            stub.answer(path, 200, "[]");
            stub.delay(path, SLOW);
        }
        stub.answer("/api/promotions", 200, "[]");
        stub.delay("/api/promotions", SLOW);
    }

    @Test
    void theFlagPageShowsWhatCameInTimeAndSaysWhichServicesDidNot() {
        long started = System.nanoTime();
        String page = page("/flags/" + FLAG);
        long tookMs = (System.nanoTime() - started) / 1_000_000;

        assertThat(tookMs).isLessThan(UPPER_BOUND_MS);
        // The flag-service answered: the flag and its audit log are there.
        assertThat(page).contains("checkout errors").contains("data-action=\"KILL\"");
        // The slow services are unknown, never "nothing firing" or an empty list.
        assertThat(page)
                .contains("Alerts about this flag: Unknown (service unreachable: alert-service is unavailable: no"
                        + " answer within 5 s).")
                .contains("The guard&#39;s actions on this flag: Unknown (service unreachable: rollback-service is"
                        + " unavailable: no answer within 5 s).")
                .contains("The guard&#39;s verdicts are unavailable: alert-service is unavailable: no answer within"
                        + " 5 s.");
    }

    @Test
    void theAlertsPageSaysWhatIsFiringIsUnknown() {
        long started = System.nanoTime();
        String page = page("/alerts");
        long tookMs = (System.nanoTime() - started) / 1_000_000;

        assertThat(tookMs).isLessThan(UPPER_BOUND_MS);
        assertThat(page)
                .contains("id=\"active-error\">What is firing now: Unknown (service unreachable: alert-service is"
                        + " unavailable: no answer within 5 s).")
                .doesNotContain("Nothing is firing.");
    }

    @Test
    void theGuardOverviewSaysTheVerdictsAreUnavailable() {
        long started = System.nanoTime();
        Response response = given().redirects()
                .follow(false)
                .cookie(SessionStore.COOKIE, session.id())
                .get("/guard");
        long tookMs = (System.nanoTime() - started) / 1_000_000;

        assertThat(tookMs).isLessThan(UPPER_BOUND_MS);
        assertThat(response.statusCode()).isEqualTo(502);
        assertThat(response.asString())
                .contains("The guard&#39;s verdicts are unavailable: alert-service is unavailable: no answer within"
                        + " 5 s.")
                .contains("No verdicts to show.");
    }

    private String page(String path) {
        Response response = given().redirects()
                .follow(false)
                .cookie(SessionStore.COOKIE, session.id())
                .get(path);
        assertThat(response.statusCode()).as(path + ": " + response.asString()).isEqualTo(200);
        return response.asString();
    }
}
