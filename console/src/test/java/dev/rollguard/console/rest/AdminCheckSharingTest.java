package dev.rollguard.console.rest;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rollguard.console.ServiceStub;
import dev.rollguard.console.StubbedServices;
import dev.rollguard.console.session.OperatorSession;
import dev.rollguard.console.session.SessionStore;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A replica asks the flag-service about an unconfirmed session's token at most once per back-off (here 6 s): only a
 * whole page load asks, page loads side by side share one check, and a page load never waits for it; a later page
 * load takes its answer.
 */
@QuarkusTest
@QuarkusTestResource(value = StubbedServices.class, restrictToAnnotatedClass = true)
@TestProfile(AdminCheckSharingTest.BackOff.class)
class AdminCheckSharingTest {

    /** A back-off long enough that the page loads of a test fall within one. */
    public static class BackOff implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("console.session.admin-recheck", "6s");
        }
    }

    private static final String TOKEN = "admin-check-sharing-token";

    private static ServiceStub stub;

    @Inject
    SessionStore sessions;

    @BeforeEach
    void services() {
        stub = StubbedServices.stub();
        stub.reset();
        stub.answer("/api/flags", 200, "[]");
        stub.answer("/api/kill-switch", 200, "{\"killed\": false}");
        stub.answer("/api/alerts", 200, "[]");
    }

    @Test
    void onlyPageLoadsAskAndPageLoadsSentTogetherShareOneCheck() throws Exception {
        stub.answer("/api/audit", 500, "{\"code\": \"INTERNAL\", \"message\": \"the audit log cannot be read\"}");
        String cookie = signIn();
        OperatorSession session = sessions.find(cookie).orElseThrow();
        assertThat(auditReads()).isEqualTo(1);
        await().atMost(Duration.ofSeconds(20)).until(() -> sessions.recheckDue(session));

        // After the back-off, a section htmx reloads, a live stream and a form ask nothing.
        Response section = given().cookie(SessionStore.COOKIE, cookie)
                .header("HX-Request", "true")
                .get("/flags?q=x");
        assertThat(section.statusCode()).isEqualTo(200);
        Response live = given().cookie(SessionStore.COOKIE, cookie).get("/live/none.json");
        assertThat(live.statusCode()).isLessThan(500);
        Response form = given().redirects()
                .follow(false)
                .cookie(SessionStore.COOKIE, cookie)
                .contentType(ContentType.URLENC)
                .formParam("reason", "checkout errors")
                .formParam("_csrf", session.csrf())
                .post("/flags/checkout.new-flow/kill");
        assertThat(form.statusCode()).isLessThan(500);
        assertThat(auditReads()).isEqualTo(1);

        // Two page loads sent together, while the flag-service takes a second to answer: one check, and neither
        // page waits for it.
        stub.delay("/api/audit", Duration.ofSeconds(1));
        stub.answer("/api/audit", 503, "");
        CompletableFuture<Response> first = CompletableFuture.supplyAsync(() -> page(cookie));
        CompletableFuture<Response> second = CompletableFuture.supplyAsync(() -> page(cookie));
        for (Response page : List.of(first.get(), second.get())) {
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.asString()).contains("(the flag-service answered HTTP 500: the audit log cannot be read");
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> auditReads() == 2);

        // A later page load, with the cookie of before as a tab that never got the new one sends it, takes the
        // answer; the page loads after it, within the back-off, ask nothing.
        AtomicReference<String> current = new AtomicReference<>(cookie);
        await().atMost(Duration.ofSeconds(5))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> {
                    Response page = page(cookie);
                    if (page.cookie(SessionStore.COOKIE) != null) {
                        current.set(page.cookie(SessionStore.COOKIE));
                    }
                    return page.asString().contains("(the flag-service answered HTTP 503)");
                });
        assertThat(page(current.get()).asString()).contains("(the flag-service answered HTTP 503)");
        assertThat(page(cookie).asString()).contains("(the flag-service answered HTTP 503)");
        assertThat(auditReads()).isEqualTo(2);
        OperatorSession told = sessions.find(current.get()).orElseThrow();
        assertThat(told.canWrite()).isFalse();
        assertThat(sessions.recheckDue(told)).isFalse();
    }

    private static long auditReads() {
        return stub.seen().stream()
                .filter(r -> r.pathAndQuery().startsWith("/api/audit"))
                .count();
    }

    private static Response page(String cookie) {
        return given().redirects()
                .follow(false)
                .cookie(SessionStore.COOKIE, cookie)
                .get("/flags");
    }

    private static String signIn() {
        Response signIn = given().redirects()
                .follow(false)
                .contentType(ContentType.URLENC)
                .formParam("token", TOKEN)
                .post("/login");
        assertThat(signIn.statusCode()).as(signIn.asString()).isEqualTo(303);
        return signIn.cookie(SessionStore.COOKIE);
    }
}
