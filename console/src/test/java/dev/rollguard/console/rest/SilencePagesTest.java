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
import io.restassured.specification.RequestSpecification;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The silences page, with the alert-service answering from {@link ServiceStub}: current and ended silences with their
 * matchers, author, comment and end; what the new-silence form and the end button send (with the operator's token and
 * the name of who ends it); the alert-service's refusal shown; read-only sessions and forged forms refused.
 */
@QuarkusTest
@QuarkusTestResource(value = StubbedServices.class, restrictToAnnotatedClass = true)
class SilencePagesTest {

    private static final String TOKEN = "silence-pages-token";
    private static ServiceStub stub;

    @Inject
    SessionStore sessions;

    private OperatorSession session;

    @BeforeEach
    void oneActiveOnePendingOneEnded() {
        stub = StubbedServices.stub();
        stub.reset();
        session = sessions.open(TOKEN, "admin", true);
        stub.answer(
                "/api/silences",
                200,
                """
                [{"id": "s-active", "state": "ACTIVE", "startsAt": "2026-12-02T10:00:00Z", "endsAt": "2026-12-02T12:00:00Z",
                  "createdBy": "ana", "comment": "orders migration, OPS-42", "createdAt": "2026-12-02T10:00:00Z",
                  "matchers": [{"name": "table", "value": "orders", "isRegex": false, "isEqual": true},
                               {"name": "flag", "value": "checkout-.*", "isRegex": true, "isEqual": false}]},
                 {"id": "s-pending", "state": "PENDING", "startsAt": "2026-12-03T01:00:00Z", "endsAt": "2026-12-03T02:00:00Z",
                  "createdBy": "bo", "comment": "night window", "createdAt": "2026-12-02T10:00:00Z",
                  "matchers": [{"name": "severity", "value": "warning", "isRegex": false, "isEqual": true}]},
                 {"id": "s-ended", "state": "EXPIRED", "startsAt": "2026-12-01T10:00:00Z", "endsAt": "2026-12-01T10:30:00Z",
                  "createdBy": "cy", "comment": "<b>deploy</b>", "createdAt": "2026-12-01T10:00:00Z",
                  "expiredAt": "2026-12-01T10:30:00Z", "expiredBy": "dee",
                  "matchers": [{"name": "rule_id", "value": "latency", "isRegex": false, "isEqual": true}]}]
                """);
    }

    @Test
    void thePageListsCurrentAndEndedSilencesWithTheirRecord() {
        String page = page("/silences");

        String current = between(page, "id=\"current-silences\"", "</tbody>");
        assertThat(current)
                .contains("data-silence=\"s-active\" data-state=\"ACTIVE\"")
                .contains("<code>table=&quot;orders&quot;</code>", "<code>flag!~&quot;checkout-.*&quot;</code>")
                .contains("2026-12-02 12:00:00Z", "ana", "orders migration, OPS-42")
                .contains("action=\"/silences/s-active/expire\"")
                .contains("data-silence=\"s-pending\" data-state=\"PENDING\"")
                .contains("PENDING (from 2026-12-03 01:00:00Z)")
                .doesNotContain("s-ended");
        String ended = between(page, "id=\"ended-silences\"", "</tbody>");
        assertThat(ended)
                .contains("data-silence=\"s-ended\"", "cy", "dee at 2026-12-01 10:30:00Z")
                // The comment is shown as text, never as markup.
                .contains("&lt;b&gt;deploy&lt;/b&gt;")
                .doesNotContain("s-active");
        assertThat(page).contains("It never stops the guard").contains("id=\"new-silence\"");
        assertThat(page).contains("href=\"/silences\" aria-current=\"page\"");
        assertThat(stub.seen()).anySatisfy(r -> {
            assertThat(r.pathAndQuery()).isEqualTo("/api/silences?limit=200");
            assertThat(r.authorization()).isEqualTo("Bearer " + TOKEN);
        });
    }

    @Test
    void theFormMakesASilenceWithTheOperatorsToken() {
        stub.answer("/api/silences", 201, "{\"id\": \"s-new\", \"state\": \"ACTIVE\"}");
        Instant before = Instant.now();

        Response response = form().formParam("matchers", "table=orders\nflag=~\"checkout-.*\"\n\nseverity != info")
                .formParam("duration", "2h")
                .formParam("createdBy", "ana")
                .formParam("comment", "orders migration, OPS-42")
                .post("/silences");

        assertThat(response.statusCode()).isEqualTo(303);
        assertThat(response.header("Location")).endsWith("/silences?notice=created");
        ServiceStub.Seen sent = stub.seen().stream()
                .filter(r -> r.method().equals("POST"))
                .findFirst()
                .orElseThrow();
        assertThat(sent.pathAndQuery()).isEqualTo("/api/silences");
        assertThat(sent.authorization()).isEqualTo("Bearer " + TOKEN);
        assertThat(sent.body())
                .contains("{\"name\":\"table\",\"value\":\"orders\",\"isRegex\":false,\"isEqual\":true}")
                .contains("{\"name\":\"flag\",\"value\":\"checkout-.*\",\"isRegex\":true,\"isEqual\":true}")
                .contains("{\"name\":\"severity\",\"value\":\"info\",\"isRegex\":false,\"isEqual\":false}")
                .contains("\"createdBy\":\"ana\"", "\"comment\":\"orders migration, OPS-42\"");
        Instant endsAt = Instant.parse(sent.body().replaceAll(".*\"endsAt\":\"([^\"]+)\".*", "$1"));
        assertThat(endsAt)
                .isBetween(before.plus(Duration.ofHours(2)), Instant.now().plus(Duration.ofHours(2)));
    }

    @Test
    void whatTheFormCannotReadOrTheAlertServiceRefusesIsShownWithTheFormKept() {
        Response unreadable = form().formParam("matchers", "orders")
                .formParam("duration", "soon")
                .formParam("createdBy", "ana")
                .formParam("comment", "x")
                .post("/silences");
        assertThat(unreadable.statusCode()).isEqualTo(400);
        assertThat(unreadable.asString())
                .contains("&quot;orders&quot; is not a matcher")
                .contains("Write how long, such as 30m, 2h or 1d.")
                .contains(">orders</textarea>");
        assertThat(stub.seen()).noneMatch(r -> r.method().equals("POST"));

        stub.answer(
                "/api/silences",
                400,
                """
                {"code": "VALIDATION_FAILED", "message": "matchers: at least one matcher must not match the empty string",
                 "violations": [{"field": "matchers", "message": "at least one matcher must not match the empty string"}]}
                """);
        Response refused = form().formParam("matchers", "flag=~.*")
                .formParam("duration", "1d")
                .formParam("createdBy", "ana")
                .formParam("comment", "everything")
                .post("/silences");
        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(refused.asString())
                .contains("id=\"silence-error\"")
                .contains("matchers: at least one matcher must not match the empty string. (VALIDATION_FAILED)")
                .contains(">flag=~.*</textarea>");
    }

    @Test
    void theEndButtonEndsTheSilenceInTheNameOfWhoPressedIt() {
        stub.answer("/api/silences/s-active", 204, "");

        Response response = form().formParam("expiredBy", "dee").post("/silences/s-active/expire");

        assertThat(response.statusCode()).isEqualTo(303);
        assertThat(response.header("Location")).endsWith("/silences?notice=expired");
        ServiceStub.Seen sent = stub.seen().stream()
                .filter(r -> r.method().equals("DELETE"))
                .findFirst()
                .orElseThrow();
        assertThat(sent.pathAndQuery()).isEqualTo("/api/silences/s-active");
        assertThat(sent.authorization()).isEqualTo("Bearer " + TOKEN);
        assertThat(page("/silences?notice=expired")).contains("Silence ended");

        Response unknown = form().formParam("expiredBy", "dee").post("/silences/gone/expire");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(unknown.asString()).contains("Silence gone was not ended: nothing at /api/silences/gone");
    }

    @Test
    void readOnlySessionsAndForgedFormsChangeNothing() {
        Response forged = sessionRequest()
                .formParam("_csrf", "not-the-token")
                .formParam("expiredBy", "dee")
                .post("/silences/s-active/expire");
        assertThat(forged.statusCode()).isEqualTo(403);
        Response injected =
                form().formParam("expiredBy", "dee\r\nX-Injected: yes").post("/silences/s-active/expire");
        assertThat(injected.statusCode()).isEqualTo(400);
        assertThat(injected.asString()).contains("Your name must be one line");
        session = sessions.open(TOKEN, "read-only", false);
        assertThat(page("/silences")).doesNotContain("id=\"new-silence\"").doesNotContain("/expire\"");
        Response readOnly = form().formParam("matchers", "table=orders")
                .formParam("duration", "2h")
                .formParam("createdBy", "ana")
                .formParam("comment", "x")
                .post("/silences");
        assertThat(readOnly.statusCode()).isEqualTo(403);
        assertThat(stub.seen()).noneMatch(r -> !r.method().equals("GET"));
    }

    private RequestSpecification sessionRequest() {
        return given().redirects().follow(false).cookie(SessionStore.COOKIE, session.id());
    }

    private RequestSpecification form() {
        return sessionRequest().contentType("application/x-www-form-urlencoded").formParam("_csrf", session.csrf());
    }

    private String page(String path) {
        Response response = sessionRequest().get(path);
        assertThat(response.statusCode()).as(path + ": " + response.asString()).isEqualTo(200);
        return response.asString();
    }

    private static String between(String page, String from, String to) {
        int start = page.indexOf(from);
        assertThat(start).as(from).isNotNegative();
        return page.substring(start, page.indexOf(to, start));
    }
}
