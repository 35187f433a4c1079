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
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.jboss.logmanager.ExtLogRecord;
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
            return Map.of("console.session.admin-recheck", "2s", "console.session.secret", SECRET);
        }
    }

    private static final String SECRET = "admin-check-test-session-secret-0123456789";
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
    void aPageLoadLongerThanTheBackOffAfterTheCheckThatAnsweredTakesItsAnswer() {
        stub.answer("/api/audit", 500, "{\"code\": \"INTERNAL\", \"message\": \"the audit log cannot be read\"}");
        String cookie = signIn();
        OperatorSession session = sessions.find(cookie).orElseThrow();
        await().atMost(Duration.ofSeconds(20)).until(() -> sessions.recheckDue(session));

        // This page load starts the check and does not wait for its answer (half a second away).
        stub.answer("/api/audit", 200, "[]");
        stub.delay("/api/audit", Duration.ofMillis(500));
        Instant asked = Instant.now();
        Response first = get("/flags", cookie);
        assertThat(first.asString()).contains(NOTICE).doesNotContain("New flag");
        String current = first.cookie(SessionStore.COOKIE) == null ? cookie : first.cookie(SessionStore.COOKIE);

        // The next page load comes after the check answered and after its back-off (2 s) has passed: it takes that
        // answer rather than asking again.
        await().atMost(Duration.ofSeconds(10)).until(() -> Instant.now().isAfter(asked.plusMillis(3_000)));
        Response next = get("/flags", current);
        assertThat(next.asString()).doesNotContain(NOTICE).contains("New flag");
        assertThat(sessions.find(next.cookie(SessionStore.COOKIE)).orElseThrow().canWrite())
                .isTrue();
        assertThat(auditReads()).isEqualTo(2);
    }

    @Test
    void aCheckWhoseAnswerStallsEndsAtThePageDeadlineAndALaterCheckStillConfirms() {
        stub.answer("/api/audit", 500, "{\"code\": \"INTERNAL\", \"message\": \"the audit log cannot be read\"}");
        String cookie = signIn();

        // The flag-service sends the headers of its answer, then nothing more: the check ends at the page deadline.
        stub.stallBody("/api/audit");
        String late =
                pageLoadsUntil(cookie, page -> page.contains("(flag-service is unavailable: no answer within 5 s)"));
        assertThat(auditReads()).isEqualTo(2);
        assertThat(sessions.find(late).orElseThrow().canWrite()).isFalse();

        // After the back-off a new check is asked, and its answer confirms the session.
        stub.reset();
        services();
        String admin = pageLoadsUntil(late, page -> !page.contains(NOTICE));
        assertThat(get("/flags", admin).asString()).contains("New flag");
        assertThat(sessions.find(admin).orElseThrow().canWrite()).isTrue();
        assertThat(auditReads()).isEqualTo(1);
    }

    @Test
    void aCheckGivenUpAtThePageDeadlineClosesItsConnection() {
        stub.answer("/api/audit", 500, "{\"code\": \"INTERNAL\", \"message\": \"the audit log cannot be read\"}");
        String cookie = signIn();

        // The flag-service never finishes its answer: once the check ends at the page deadline (5 s), the console
        // closes the connection rather than leave it to the flag-service.
        stub.stallBody("/api/audit");
        pageLoadsUntil(cookie, page -> page.contains("(flag-service is unavailable: no answer within 5 s)"));
        await().atMost(Duration.ofSeconds(15))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> !stub.abandoned().isEmpty());
        assertThat(stub.abandoned()).singleElement().satisfies(closed -> {
            assertThat(closed.path()).isEqualTo("/api/audit");
            assertThat(closed.heldOpen()).isLessThan(Duration.ofSeconds(10));
        });
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

    @Test
    void aTwoHundredThatIsNotTheAuditLogDecidesNothing() {
        // A proxy's page, or another API behind the same address: not the audit log, so not admin.
        stub.answer("/api/audit", 200, "<html><body>Sign in to the proxy</body></html>");
        String cookie = signIn();

        OperatorSession session = sessions.find(cookie).orElseThrow();
        assertThat(session.canWrite()).isFalse();
        assertThat(session.unconfirmed()).isTrue();
        assertThat(get("/flags", cookie).asString())
                .contains(NOTICE)
                .contains("(flag-service gave an unexpected answer: HTTP 200 of type application/json whose body is not"
                        + " JSON)")
                .doesNotContain("New flag");

        // Asked again: a JSON answer that is not the audit list decides nothing either.
        stub.answer("/api/audit", 200, "{\"entries\": []}");
        AtomicReference<String> current = new AtomicReference<>(cookie);
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(250))
                .until(() -> {
                    String sent = get("/flags", current.get()).cookie(SessionStore.COOKIE);
                    if (sent != null) {
                        current.set(sent);
                    }
                    return sessions.find(current.get())
                            .orElseThrow()
                            .recheckAt()
                            .isAfter(session.recheckAt());
                });
        OperatorSession still = sessions.find(current.get()).orElseThrow();
        assertThat(still.canWrite()).isFalse();
        assertThat(still.adminUnconfirmed()).isEqualTo("the flag-service answered HTTP 200 without the audit log");
        assertThat(get("/flags", current.get()).asString()).contains(NOTICE).doesNotContain("New flag");
    }

    @Test
    void aTokenTheFlagServiceNoLongerKnowsEndsTheSession() {
        stub.answer("/api/audit", 500, "{\"code\": \"INTERNAL\", \"message\": \"the audit log cannot be read\"}");
        String cookie = signIn();
        assertThat(get("/flags", cookie).asString()).contains(NOTICE);

        stub.answer("/api/audit", 401, "{\"code\": \"UNAUTHENTICATED\", \"message\": \"unknown token\"}");
        AtomicReference<Response> ended = new AtomicReference<>();
        AtomicReference<String> current = new AtomicReference<>(cookie);
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(250))
                .until(() -> {
                    Response response = given().redirects()
                            .follow(false)
                            .cookie(SessionStore.COOKIE, current.get())
                            .get("/flags");
                    if (response.statusCode() == 200) {
                        assertThat(response.asString()).doesNotContain("HTTP 401");
                        if (response.cookie(SessionStore.COOKIE) != null) {
                            current.set(response.cookie(SessionStore.COOKIE));
                        }
                        return false;
                    }
                    ended.set(response);
                    return true;
                });

        Response response = ended.get();
        assertThat(response.statusCode()).isEqualTo(303);
        assertThat(response.header("Location")).endsWith("/login?refused=token");
        assertThat(response.getDetailedCookie(SessionStore.COOKIE).getValue()).isEmpty();
        assertThat(response.getDetailedCookie(SessionStore.COOKIE).getMaxAge()).isZero();
        assertThat(given().get(response.header("Location")).asString())
                .contains("The flag-service does not know this token.");
    }

    @Test
    void aTokenRefusedByTheAuditLogAtSignInIsRefused() {
        stub.answer("/api/audit", 401, "{\"code\": \"UNAUTHENTICATED\", \"message\": \"unknown token\"}");
        Response signIn = given().redirects()
                .follow(false)
                .contentType(ContentType.URLENC)
                .formParam("token", TOKEN)
                .post("/login");

        assertThat(signIn.statusCode()).isEqualTo(401);
        assertThat(signIn.cookie(SessionStore.COOKIE)).isNull();
        assertThat(signIn.asString()).contains("The flag-service does not know this token.");
    }

    @Test
    void aTokenLongerThanTheCookieKeepsIsRefusedOnTheSignInPage() {
        Response signIn = given().redirects()
                .follow(false)
                .contentType(ContentType.URLENC)
                .formParam("token", "t".repeat(513))
                .post("/login");

        assertThat(signIn.statusCode()).isEqualTo(400);
        assertThat(signIn.cookie(SessionStore.COOKIE)).isNull();
        assertThat(signIn.asString()).contains("A token has at most 512 characters.");
        assertThat(stub.seen()).isEmpty();

        // The longest accepted token signs in.
        Response longest = given().redirects()
                .follow(false)
                .contentType(ContentType.URLENC)
                .formParam("token", "t".repeat(512))
                .post("/login");
        assertThat(longest.statusCode()).isEqualTo(303);
    }

    @Test
    void theFlagServicesMessageIsLoggedOnOneLine() {
        List<String> logged = new CopyOnWriteArrayList<>();
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord record) {
                logged.add(record instanceof ExtLogRecord ext ? ext.getFormattedMessage() : record.getMessage());
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        Logger console = Logger.getLogger("dev.rollguard.console");
        console.addHandler(handler);
        try {
            stub.answer(
                    "/api/audit",
                    500,
                    "{\"code\": \"INTERNAL\", \"message\": \"down\\n12:00:00.000 INFO  [forged] operator signed in\"}");
            signIn();
        } finally {
            console.removeHandler(handler);
        }

        assertThat(logged)
                .filteredOn(line -> line.contains("did not confirm a token's admin rights"))
                .singleElement()
                .satisfies(line -> assertThat(line)
                        .doesNotContain("\n")
                        .contains("down 12:00:00.000 INFO [forged] operator signed in"));
    }

    @Test
    void signingOutAMinuteAfterTheLastResealLeavesNoSession() {
        // A session last resealed two minutes ago: this request reseals it, and signing out must win.
        SessionStore earlier = new SessionStore(
                Optional.of(SECRET),
                Duration.ofHours(8),
                false,
                Clock.fixed(Instant.now().minus(Duration.ofMinutes(2)), ZoneOffset.UTC));
        OperatorSession session = earlier.open(TOKEN, "admin", true, "Ana Lima");
        assertThat(sessions.find(session.id()).orElseThrow().id()).isNotEqualTo(session.id());

        Response signOut = given().redirects()
                .follow(false)
                .cookie(SessionStore.COOKIE, session.id())
                .post("/logout");

        assertThat(signOut.statusCode()).isEqualTo(303);
        assertThat(signOut.headers().getValues("Set-Cookie"))
                .filteredOn(c -> c.startsWith(SessionStore.COOKIE + "="))
                .singleElement()
                .satisfies(c ->
                        assertThat(c).startsWith(SessionStore.COOKIE + "=;").containsIgnoringCase("Max-Age=0"));
    }

    private static long auditReads() {
        return stub.seen().stream()
                .filter(r -> r.pathAndQuery().startsWith("/api/audit"))
                .count();
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
