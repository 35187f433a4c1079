package dev.rollguard.console;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rollguard.console.session.OperatorSession;
import dev.rollguard.console.session.SessionStore;
import dev.rollguard.infra.InfraTestResource;
import dev.rollguard.infra.Ports;
import dev.rollguard.infra.Promtool;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import jakarta.inject.Inject;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Stream;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;

/**
 * The console's own doors: every form endpoint (found from the console's JAX-RS resources) given a malformed or
 * foreign Origin, no session, no CSRF token, JSON instead of a form, fields of the wrong type, control characters
 * and over-long values. None of these reaches a service; each is a 3xx or 4xx with the console's error page or, for
 * the data endpoints, a JSON {code, message}. The flag-service address points at a closed port here.
 */
@QuarkusTest
@QuarkusTestResource(value = ConsoleDoorsTest.Infra.class, restrictToAnnotatedClass = true)
class ConsoleDoorsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SESSION_SECRET = "console-doors-session-secret-" + UUID.randomUUID();

    /** The shared broker for the live views; no services behind the console. */
    public static class Infra implements QuarkusTestResourceLifecycleManager {
        @Override
        public Map<String, String> start() {
            InfraTestResource kafka = new InfraTestResource();
            kafka.init(Map.of());
            Map<String, String> config = new HashMap<>(kafka.start());
            String nowhere = "http://127.0.0.1:" + Ports.free();
            for (String service : List.of("flag-service", "metrics-ingest", "alert-service", "rollback-service")) {
                config.put("console.services." + service, nowhere);
            }
            config.put("console.session.secret", SESSION_SECRET);
            return config;
        }

        @Override
        public void stop() {}
    }

    @Inject
    SessionStore sessions;

    @Test
    void everyFormEndpointRefusesWrongRequestsWithAPageOrJsonAndNo5xx() throws Exception {
        OperatorSession session = sessions.open("console-doors-token", "admin", true);
        List<String> endpoints = postEndpoints();
        assertThat(endpoints)
                .contains("/login", "/logout", "/flags", "/flags/{key}/edit", "/flags/{key}/kill", "/kill-switch");

        Map<String, Function<RequestSpecification, RequestSpecification>> shapes = new HashMap<>();
        shapes.put("a malformed Origin", r -> withSession(r, session).header("Origin", "http://[::1"));
        shapes.put("an Origin without a host", r -> withSession(r, session).header("Origin", "file:///etc/passwd"));
        shapes.put("a foreign Origin", r -> withSession(r, session).header("Origin", "https://evil.example"));
        shapes.put("no CSRF token", r -> withSession(r, session).formParam("reason", "x"));
        shapes.put(
                "JSON instead of a form",
                r -> withSession(r, session).contentType(ContentType.JSON).body("{\"reason\": \"x\", \"_csrf\": 5}"));
        shapes.put("fields of the wrong type", r -> withSession(r, session)
                .formParam("stage", "two")
                .formParam("on", "maybe")
                .formParam("_csrf", "not-the-token"));
        shapes.put("control characters and long values", r -> withSession(r, session)
                .formParam("reason", "a\u0000b\u001b[31m")
                .formParam("token", "t\u0000\r\nX-Injected: yes")
                .formParam("key", "k".repeat(5000))
                .formParam("_csrf", "x\u0000"));
        shapes.put("no session", r -> r.formParam("reason", "x"));

        SoftAssertions softly = new SoftAssertions();
        for (String endpoint : endpoints) {
            String url = endpoint.replace("{key}", "some-flag").replace("{id}", "some-silence");
            for (var shape : shapes.entrySet()) {
                Response response = shape.getValue()
                        .apply(given().redirects().follow(false).contentType(ContentType.URLENC))
                        .post(url);
                String what = "POST " + url + " with " + shape.getKey();
                softly.assertThat(response.statusCode()).as(what).isBetween(300, 499);
                if (response.statusCode() >= 400) {
                    expectErrorPageOrJson(softly, what, response);
                }
                if (shape.getKey().contains("Origin")) {
                    softly.assertThat(response.statusCode()).as(what).isEqualTo(403);
                    softly.assertThat(response.contentType()).as(what).startsWith("application/json");
                    softly.assertThat(response.asString()).as(what).contains("\"code\":\"FORBIDDEN\"");
                }
            }
        }
        softly.assertAll();
    }

    @Test
    void aTokenWithControlCharactersIsRefusedOnTheSignInPage() {
        given().contentType(ContentType.URLENC)
                .formParam("token", "abc\r\nX-Injected: yes")
                .post("/login")
                .then()
                .statusCode(400)
                .contentType(ContentType.HTML)
                .body(org.hamcrest.Matchers.containsString("letters, digits and punctuation"));
    }

    @Test
    void dataEndpointsAnswerJsonAndPagesTheErrorPage() {
        given().get("/live/events")
                .then()
                .statusCode(401)
                .contentType(ContentType.JSON)
                .body("code", equalTo("UNAUTHENTICATED"));
        given().get("/flags/some-flag/series.json")
                .then()
                .statusCode(401)
                .contentType(ContentType.JSON)
                .body("code", equalTo("UNAUTHENTICATED"));
        OperatorSession session = sessions.open("console-doors-token", "admin", true);
        withSession(given(), session)
                .get("/no/such/page")
                .then()
                .statusCode(404)
                .contentType(ContentType.HTML)
                .body(org.hamcrest.Matchers.containsString("class=\"error\""));
        withSession(given(), session)
                .put("/flags")
                .then()
                .statusCode(405)
                .contentType(ContentType.HTML)
                .body(org.hamcrest.Matchers.containsString("class=\"error\""));
    }

    @Test
    void theMetricsScrapePassesPromtoolCheckMetrics() {
        String scrape = given().accept("text/plain")
                .get("/q/metrics")
                .then()
                .statusCode(200)
                .extract()
                .asString();
        assertThat(scrape).contains("# HELP jvm_memory_used_bytes").contains("# HELP process_cpu_usage The 'recent");

        Promtool.assertCleanScrape(scrape);
    }

    @Test
    void aSessionSealedByAnotherReplicaWithTheSameSecretIsAcceptedAndNoOtherIs() {
        // Another console replica: its own store, the same secret.
        SessionStore replica =
                new SessionStore(Optional.of(SESSION_SECRET), Duration.ofHours(8), false, Clock.systemUTC());
        SessionStore stranger = new SessionStore(
                Optional.of("another-console-secret-" + UUID.randomUUID()),
                Duration.ofHours(8),
                false,
                Clock.systemUTC());
        OperatorSession fromReplica = replica.open("console-doors-token", "admin", true);
        OperatorSession fromStranger = stranger.open("console-doors-token", "admin", true);
        String tampered = fromReplica.id().substring(0, fromReplica.id().length() - 2)
                + (fromReplica.id().endsWith("AA") ? "BB" : "AA");

        // Signed in: the flag's chart data answers (its services are unreachable here, which the data lists as
        // problems); without a session it would be 401.
        withSession(given().redirects().follow(false), fromReplica)
                .get("/flags/some-flag/series.json")
                .then()
                .statusCode(200)
                .contentType(ContentType.JSON);
        for (String refused : List.of(fromStranger.id(), tampered)) {
            given().redirects()
                    .follow(false)
                    .cookie(SessionStore.COOKIE, refused)
                    .get("/flags/some-flag/series.json")
                    .then()
                    .statusCode(401)
                    .body("code", equalTo("UNAUTHENTICATED"));
        }
    }

    private static RequestSpecification withSession(RequestSpecification request, OperatorSession session) {
        return request.cookie(SessionStore.COOKIE, session.id());
    }

    private static void expectErrorPageOrJson(SoftAssertions softly, String what, Response response) {
        String type = response.contentType();
        if (type.startsWith("application/json")) {
            try {
                JsonNode body = JSON.readTree(response.asString());
                softly.assertThat(body.path("code").isTextual())
                        .as(what + ": " + body)
                        .isTrue();
                softly.assertThat(body.path("message").isTextual())
                        .as(what + ": " + body)
                        .isTrue();
            } catch (IOException e) {
                softly.fail(what + ": not JSON: " + response.asString());
            }
        } else {
            softly.assertThat(type).as(what).startsWith("text/html");
            softly.assertThat(response.asString()).as(what).containsPattern("class=\"error\"|id=\"login-error\"");
        }
    }

    /** Every POST path of the console's resources, from their JAX-RS annotations. */
    private static List<String> postEndpoints() throws Exception {
        String pkg = "dev.rollguard.console.rest";
        // The module's compiled classes (the Quarkus class loader gives its classes no code source).
        java.nio.file.Path dir = Paths.get("target", "classes").resolve(pkg.replace('.', '/'));
        List<String> endpoints = new ArrayList<>();
        try (Stream<java.nio.file.Path> files = Files.list(dir)) {
            for (java.nio.file.Path file : files.toList()) {
                String name = file.getFileName().toString();
                if (!name.endsWith(".class") || name.contains("$")) {
                    continue;
                }
                Class<?> type = Class.forName(pkg + "." + name.substring(0, name.length() - 6));
                Path base = type.getAnnotation(Path.class);
                if (base == null) {
                    continue;
                }
                for (Method method : type.getDeclaredMethods()) {
                    Path path = method.getAnnotation(Path.class);
                    if (method.isAnnotationPresent(POST.class)) {
                        String full = (base.value() + "/" + (path == null ? "" : path.value())).replaceAll("/+", "/");
                        // A template with alternatives ({action:kill|unkill}) is tried with each.
                        var alternatives = java.util.regex.Pattern.compile("\\{(\\w+):([\\w|]+)}")
                                .matcher(full);
                        if (alternatives.find()) {
                            for (String choice : alternatives.group(2).split("\\|")) {
                                endpoints.add(full.replace(alternatives.group(), choice));
                            }
                        } else {
                            endpoints.add(
                                    full.endsWith("/") && full.length() > 1
                                            ? full.substring(0, full.length() - 1)
                                            : full);
                        }
                    }
                }
            }
        }
        return endpoints;
    }
}
