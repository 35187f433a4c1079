package dev.rollguard.console.rest;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.rollguard.console.ServiceStub;
import dev.rollguard.console.StubbedServices;
import dev.rollguard.console.session.OperatorSession;
import dev.rollguard.console.session.SessionStore;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The health report waits for metrics-ingest until a deadline of its own, longer than a page's, and no longer: here
 * both are shortened (1 s and 3 s instead of 5 s and 12 s), so that the tests take seconds, with the same order
 * between them.
 */
@QuarkusTest
@QuarkusTestResource(value = StubbedServices.class, restrictToAnnotatedClass = true)
@TestProfile(HealthReportDeadlineTest.ShortDeadlines.class)
class HealthReportDeadlineTest {

    /** A page deadline and a longer report deadline, both short. */
    public static class ShortDeadlines implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "console.services.page-deadline", "1s",
                    "console.services.health-report-deadline", "3s");
        }
    }

    private static final String TOKEN = "health-report-deadline-token";

    /** Longer than the page deadline, well within the report's. */
    private static final Duration SLOWER_THAN_A_PAGE = Duration.ofMillis(1500);

    private static ServiceStub stub;

    @Inject
    SessionStore sessions;

    @BeforeEach
    void services() {
        stub = StubbedServices.stub();
        stub.reset();
        stub.answer("/api/alerts", 200, "[]");
    }

    @Test
    void aHealthReportSlowerThanThePageDeadlineIsShown() {
        OperatorSession s = sessions.open(TOKEN, "admin", true);
        // As slow a page read is cut off at the page deadline: the report below waits longer than a page would.
        stub.delay("/api/alerts", SLOWER_THAN_A_PAGE);
        assertThat(signedIn(s).get("/alerts").asString())
                .contains("alert-service is unavailable: no answer within 1 s");

        // metrics-ingest asks a peer (within its own timeout) before it answers.
        stub.answer("/api/health-report", 200, "text/plain;charset=UTF-8", OperatorPagesTest.REPORT);
        stub.delay("/api/health-report", SLOWER_THAN_A_PAGE);

        Response shown = signedIn(s).get("/health-report");

        assertThat(shown.statusCode()).as(shown.asString()).isEqualTo(200);
        assertThat(shown.asString()).contains("id=\"report\"").contains("REPLICATION SYSTEM HEALTH REPORT");

        // metrics-ingest's own account of a peer that did not answer, after as long, is shown, not a timeout of the
        // console's.
        stub.answer(
                "/api/health-report",
                503,
                "{\"code\": \"UNAVAILABLE\", \"message\": \"the instance hosting part of the report (10.0.0.7:8082)"
                        + " did not answer; retry\"}");
        assertThat(healthReport(s, 502))
                .contains("the instance hosting part of the report (10.0.0.7:8082) did not answer; retry"
                        + " (UNAVAILABLE).");
    }

    @Test
    void aHealthReportWhoseAnswerStallsEndsAtItsDeadline() {
        OperatorSession s = sessions.open(TOKEN, "admin", true);
        // metrics-ingest sends the headers of its answer, then nothing more.
        stub.stallBody("/api/health-report");

        // A generous bound, run apart so that a wait that never ends fails the test rather than hanging the build:
        // the wait ends at the report's deadline, not when the stalled service lets go.
        String page = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> healthReport(s, 502));

        assertThat(page)
                .contains("metrics-ingest could not build the report: metrics-ingest is unavailable: no answer within"
                        + " 3 s.");
        await().atMost(Duration.ofSeconds(15))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> !stub.abandoned().isEmpty());
        assertThat(stub.abandoned()).singleElement().satisfies(closed -> assertThat(closed.path())
                .isEqualTo("/api/health-report"));
    }

    private static RequestSpecification signedIn(OperatorSession s) {
        return given().redirects().follow(false).cookie(SessionStore.COOKIE, s.id());
    }

    private static String healthReport(OperatorSession s, int status) {
        Response response = signedIn(s).get("/health-report");
        assertThat(response.statusCode()).as(response.asString()).isEqualTo(status);
        String page = response.asString();
        assertThat(page)
                .contains("<h1>Health report</h1>")
                .contains("class=\"error\" role=\"alert\"")
                .doesNotContain("id=\"report\"");
        return page;
    }
}
