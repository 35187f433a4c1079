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
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Sign-in learns whether a token is admin from the flag-service's audit log (only admin tokens may read it). A 403
 * signs in read-only; an answer that decides nothing (none within the page deadline, a 500, a dropped connection)
 * signs in read-only with a notice on every page saying why, and a page load after the back-off (here 2 s) asks
 * again and upgrades the session when the flag-service confirms it.
 */
@QuarkusTest
@QuarkusTestResource(value = StubbedServices.class, restrictToAnnotatedClass = true)
@TestProfile(AdminCheckTest.ShortBackOff.class)
class AdminCheckTest {

    /** The back-off shortened so that a test sees the second check. */
    public static class ShortBackOff implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("console.session.admin-recheck", "2s");
        }
    }

    private static final String FLAG = "checkout.new-flow";
    private static final String TOKEN = "admin-check-token";
    private static final String NOTICE = "id=\"admin-unconfirmed\"";

    private static ServiceStub stub;

    @Inject
    SessionStore sessions;

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
                {"key": "%s", "enabled": true, "rolloutPercentage": 10, "version": 7}
                """
                        .formatted(FLAG));
        stub.answer("/api/audit", 200, "[]");
        stub.answer("/api/alerts", 200, "[]");
    }

    @Test
    void anAuditReadSlowerThanTheDeadlineSignsInReadOnlyWithANoticeUntilALaterPageLoadConfirmsAdmin() {
        // Slower than the page deadline (5 s), within the 10 s a single call may take.
        stub.delay("/api/audit", Duration.ofSeconds(7));
        String cookie = signIn();

        OperatorSession session = sessions.find(cookie).orElseThrow();
        assertThat(session.canWrite()).isFalse();
        assertThat(session.unconfirmed()).isTrue();
        String flags = get("/flags", cookie).asString();
        assertThat(flags)
                .contains(NOTICE)
                .contains("this token's admin rights could not be confirmed (flag-service is unavailable: no"
                        + " answer within 5 s)")
                .doesNotContain("New flag");
        // Every page, not only the first.
        assertThat(get("/alerts", cookie).asString())
                .contains(NOTICE)
                .contains("flag-service is unavailable: no answer within 5 s");

        stub.delay("/api/audit", Duration.ZERO);
        String admin = pageLoadsUntil(cookie, page -> page.contains("New flag"));

        OperatorSession upgraded = sessions.find(admin).orElseThrow();
        assertThat(upgraded.canWrite()).isTrue();
        assertThat(upgraded.tokenKind()).isEqualTo("admin");
        assertThat(upgraded.unconfirmed()).isFalse();
        assertThat(upgraded.csrf()).isEqualTo(session.csrf());
        assertThat(upgraded.operator()).isEqualTo("Ana Lima");
        assertThat(get("/flags", admin).asString())
                .doesNotContain(NOTICE)
                .contains("New flag")
                .contains("title=\"token kind\">admin");
        // The upgraded session writes, without signing in again.
        stub.answer("/api/flags/" + FLAG + "/kill", 200, "{}");
        Response kill = given().redirects()
                .follow(false)
                .cookie(SessionStore.COOKIE, admin)
                .contentType(ContentType.URLENC)
                .formParam("reason", "checkout errors")
                .formParam("_csrf", session.csrf())
                .post("/flags/" + FLAG + "/kill");
        assertThat(kill.statusCode()).isEqualTo(303);
        assertThat(stub.seen())
                .filteredOn(r -> r.method().equals("POST"))
                .singleElement()
                .satisfies(w -> assertThat(w.pathAndQuery()).isEqualTo("/api/flags/" + FLAG + "/kill"));
    }

    @Test
    void anAuditReadThatFailsSaysTheFlagServicesStatusAndIsAskedAgain() {
        stub.answer("/api/audit", 500, "{\"code\": \"INTERNAL\", \"message\": \"the audit log cannot be read\"}");
        String cookie = signIn();

        assertThat(sessions.find(cookie).orElseThrow().canWrite()).isFalse();
        assertThat(get("/flags", cookie).asString())
                .contains(NOTICE)
                .contains("(the flag-service answered HTTP 500: the audit log cannot be read (INTERNAL))")
                .doesNotContain("New flag");

        // Asked again and still undecided: still read-only, with the new reason.
        stub.dropConnections("/api/audit");
        String still = pageLoadsUntil(cookie, page -> page.contains("(flag-service is unavailable: "));
        assertThat(sessions.find(still).orElseThrow().canWrite()).isFalse();
        assertThat(get("/flags", still).asString()).contains(NOTICE).doesNotContain("New flag");

        stub.answer("/api/audit", 200, "[]");
        String admin = pageLoadsUntil(still, page -> !page.contains(NOTICE));
        assertThat(get("/flags", admin).asString()).contains("New flag");
        assertThat(sessions.find(admin).orElseThrow().canWrite()).isTrue();
    }

    @Test
    void aSessionAskedAgainThatGetsA403IsReadOnlyWithoutTheNotice() {
        stub.answer("/api/audit", 503, "");
        String cookie = signIn();
        assertThat(get("/flags", cookie).asString()).contains(NOTICE).contains("(the flag-service answered HTTP 503)");

        stub.answer("/api/audit", 403, "{\"code\": \"FORBIDDEN\", \"message\": \"admin tokens only\"}");
        String readOnly = pageLoadsUntil(cookie, page -> !page.contains(NOTICE));

        OperatorSession session = sessions.find(readOnly).orElseThrow();
        assertThat(session.canWrite()).isFalse();
        assertThat(session.unconfirmed()).isFalse();
        assertThat(get("/flags", readOnly).asString()).doesNotContain("New flag");
    }

    @Test
    void aTokenTheAuditLogRefusesSignsInReadOnlyWithoutTheNotice() {
        stub.answer("/api/audit", 403, "{\"code\": \"FORBIDDEN\", \"message\": \"admin tokens only\"}");
        String cookie = signIn();

        OperatorSession session = sessions.find(cookie).orElseThrow();
        assertThat(session.canWrite()).isFalse();
        assertThat(session.tokenKind()).isEqualTo("read-only");
        assertThat(session.unconfirmed()).isFalse();
        assertThat(sessions.recheckDue(session)).isFalse();
        assertThat(get("/flags", cookie).asString())
                .doesNotContain(NOTICE)
                .doesNotContain("New flag")
                .contains("title=\"token kind\">read-only");
    }

    private static String signIn() {
        Response signIn = given().redirects()
                .follow(false)
                .contentType(ContentType.URLENC)
                .formParam("token", TOKEN)
                .formParam("operator", "Ana Lima")
                .post("/login");
        assertThat(signIn.statusCode()).as(signIn.asString()).isEqualTo(303);
        return signIn.cookie(SessionStore.COOKIE);
    }

    private static Response get(String path, String cookie) {
        Response response = given().redirects()
                .follow(false)
                .cookie(SessionStore.COOKIE, cookie)
                .get(path);
        assertThat(response.statusCode()).as(path + ": " + response.asString()).isEqualTo(200);
        return response;
    }

    /**
     * Loads {@code /flags} as a browser does, keeping each cookie the console sends back, until a page satisfies
     * {@code done}; the cookie of that page.
     */
    private static String pageLoadsUntil(String cookie, Predicate<String> done) {
        AtomicReference<String> current = new AtomicReference<>(cookie);
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(250))
                .until(() -> {
                    Response response = get("/flags", current.get());
                    String sent = response.cookie(SessionStore.COOKIE);
                    if (sent != null) {
                        current.set(sent);
                    }
                    return done.test(response.asString());
                });
        return current.get();
    }
}
