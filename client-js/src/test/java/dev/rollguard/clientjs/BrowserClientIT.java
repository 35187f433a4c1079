package dev.rollguard.clientjs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.rollguard.cli.RollguardApi;
import dev.rollguard.infra.HeadlessChromium;
import dev.rollguard.infra.Ports;
import dev.rollguard.infra.ServiceStack;
import dev.rollguard.infra.SharedInfra;
import dev.rollguard.infra.TopicContents;
import dev.rollguard.schemas.Topics;
import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.FlagExposure;
import dev.rollguard.schemas.event.SyncEvent;
import dev.rollguard.schemas.serde.AvroCodec;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.logging.Level;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;

/**
 * The example page (examples/browser) in headless Chromium, served from another origin than the real flag-service
 * and metrics-ingest (packaged, as processes, on the real broker and PostgreSQL): it evaluates a 50 % rollout with
 * the real {@code @openfeature/web-sdk} and {@code @openfeature/ofrep-web-provider}, reports syncs through the
 * Rollguard client with the variants it served, and sees a kill through the change stream it opened from the bulk
 * answer's stream URL. metrics-ingest counts each page's events in the cohort that page was served.
 */
class BrowserClientIT {

    private static final String RUN = UUID.randomUUID().toString().substring(0, 8);
    private static final String FLAG = "web.new-editor-" + RUN;
    private static final Duration WAIT = Duration.ofSeconds(60);

    private static ServiceStack stack;
    private static HttpServer pages;
    private static String pageOrigin;
    private static RollguardApi api;
    private static WebDriver driver;
    /**
     * Held so that its level stays: Selenium warns on every start that it has no DevTools binding for this Chromium,
     * which this test does not use (it reads the network from the performance log).
     */
    private static final java.util.logging.Logger SELENIUM_DEVTOOLS =
            java.util.logging.Logger.getLogger("org.openqa.selenium");

    @BeforeAll
    static void start() throws IOException {
        int pagePort = Ports.free();
        pageOrigin = "http://127.0.0.1:" + pagePort; // another port: another origin than either service
        Map<String, List<String>> properties = new HashMap<>();
        properties.put(
                "flag-service",
                List.of(
                        "quarkus.http.cors.enabled=true",
                        "quarkus.http.cors.origins=" + pageOrigin,
                        "flag-service.stream-tokens.secret=browser-test-" + UUID.randomUUID()));
        properties.put(
                "metrics-ingest",
                List.of(
                        "quarkus.http.cors.enabled=true",
                        "quarkus.http.cors.origins=" + pageOrigin,
                        "metrics-ingest.windows.size=2s",
                        "metrics-ingest.windows.grace=1s",
                        "metrics-ingest.windows.idle-timeout=3s",
                        "kafka-streams.state.dir=" + SharedInfra.freshDirectory("client-js-it-streams")));
        stack = ServiceStack.start(properties);
        api = new RollguardApi(new RollguardApi.Endpoints(
                stack.url("flag-service"),
                stack.url("metrics-ingest"),
                stack.url("alert-service"),
                stack.url("rollback-service"),
                ServiceStack.ADMIN_TOKEN,
                ServiceStack.CLIENT_TOKEN,
                ServiceStack.PRODUCER_TOKEN));
        pages = servePages(pagePort);
        driver = chromium();
    }

    @AfterAll
    static void stop() {
        if (driver != null) {
            driver.quit();
        }
        if (pages != null) {
            pages.stop(0);
        }
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void thePageEvaluatesSeesAKillWithinASecondAndItsTelemetryIsCountedInItsCohort() {
        ObjectNode flag = RollguardApi.JSON
                .createObjectNode()
                .put("key", FLAG)
                .put("description", "The new editor, on the web")
                .put("owner", "web-team")
                .put("enabled", true)
                .put("rolloutPercentage", 50);
        flag.putArray("stages");
        api.createFlag(flag).orThrow("create " + FLAG);
        String treated = userServed("on");
        String control = userServed("off");

        // A control user's page, then a treated user's; each reports its syncs.
        Map<String, Integer> syncs = new LinkedHashMap<>();
        syncs.put(control, 3);
        syncs.put(treated, 5);
        for (Map.Entry<String, Integer> page : syncs.entrySet()) {
            open(page.getKey());
            boolean on = page.getKey().equals(treated);
            assertThat(text("flag-value")).isEqualTo(String.valueOf(on));
            assertThat(text("flag-variant")).isEqualTo(on ? "on" : "off");
            for (int i = 0; i < page.getValue(); i++) {
                driver.findElement(By.id("sync")).click();
            }
            await().atMost(Duration.ofSeconds(15))
                    .untilAsserted(() -> assertThat(text("delivered")).isEqualTo(String.valueOf(page.getValue())));
        }

        // The treated user's page is open: the kill reaches it through the change stream.
        awaitStreamOpen();
        long killedAt = System.currentTimeMillis();
        api.kill(FLAG, "browser test " + RUN).orThrow("kill");
        await().atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(text("flag-value")).isEqualTo("false"));
        Map<?, ?> change = (Map<?, ?>) js("return window.rollguardExample.state.changes.at(-1)");
        assertThat(change.get("reason")).isEqualTo("DISABLED");
        long seenAfter = ((Number) change.get("at")).longValue() - killedAt;
        System.out.println("the page had the kill " + seenAfter + " ms after the kill request was sent");
        assertThat(seenAfter)
                .as("milliseconds from the kill request to the page's new value")
                .isLessThan(1000);

        // The stream opened once per page, with the URL's token, and was never refused (no 401 loop).
        List<Map<String, Object>> streams = network().stream()
                .filter(r -> String.valueOf(r.get("url")).contains("/ofrep/v1/events"))
                .toList();
        assertThat(streams).as("change stream responses").hasSize(syncs.size());
        assertThat(streams).allSatisfy(r -> {
            assertThat(r.get("status")).isEqualTo(200);
            assertThat(String.valueOf(r.get("url"))).contains("token=v2.");
        });

        // Each page's events went out with the exposure it was served, and are counted in that cohort.
        Map<String, List<FlagExposure>> exposuresByUser = syncEventsOf(syncs.keySet());
        assertThat(exposuresByUser.get(treated)).hasSize(5).allSatisfy(e -> assertThat(e.getVariant())
                .isEqualTo("on"));
        assertThat(exposuresByUser.get(control)).hasSize(3).allSatisfy(e -> assertThat(e.getVariant())
                .isEqualTo("off"));
        Map<Cohort, Long> counted = countedPerCohort(8);
        assertThat(counted).containsEntry(Cohort.TREATMENT, 5L).containsEntry(Cohort.CONTROL, 3L);
    }

    /** The first of a series of users that the flag-service serves this variant. */
    private static String userServed(String variant) {
        for (int i = 0; i < 200; i++) {
            String user = "web-user-" + RUN + "-" + i;
            JsonNode answer = api.evaluate(FLAG, user).orThrow("evaluate").body();
            if (variant.equals(answer.path("variant").asText())) {
                return user;
            }
        }
        throw new AssertionError("no user of 200 was served " + variant);
    }

    private static void open(String user) {
        String settings = "flagService=" + encode(stack.url("flag-service")) + "&ingest="
                + encode(stack.url("metrics-ingest")) + "&clientToken=" + encode(ServiceStack.CLIENT_TOKEN)
                + "&producerToken=" + encode(ServiceStack.PRODUCER_TOKEN) + "&user=" + encode(user) + "&flag="
                + encode(FLAG);
        // A query of its own per user: pages that differ only in the fragment are one document to the browser.
        driver.get(pageOrigin + "/examples/browser/index.html?as=" + encode(user) + "#" + settings);
        try {
            await().atMost(Duration.ofSeconds(20)).until(() -> "ready".equals(text("status")));
        } catch (RuntimeException | AssertionError e) {
            driver.manage().logs().get(LogType.BROWSER).forEach(entry -> System.out.println("browser: " + entry));
            throw e;
        }
    }

    /** The provider opens the stream after its first bulk answer; a kill before that would be missed by design. */
    private static void awaitStreamOpen() {
        await().atMost(Duration.ofSeconds(10)).until(() -> network().stream()
                .anyMatch(r -> String.valueOf(r.get("url")).contains("/ofrep/v1/events")));
    }

    private static final List<Map<String, Object>> RESPONSES = new ArrayList<>();

    /** Every response the browser received so far (Chromium's performance log: Network.responseReceived). */
    private static List<Map<String, Object>> network() {
        for (LogEntry entry : driver.manage().logs().get(LogType.PERFORMANCE)) {
            try {
                JsonNode message =
                        RollguardApi.JSON.readTree(entry.getMessage()).path("message");
                if (message.path("method").asText().equals("Network.responseReceived")) {
                    JsonNode response = message.path("params").path("response");
                    Map<String, Object> r = new HashMap<>();
                    r.put("url", response.path("url").asText());
                    r.put("status", response.path("status").asInt());
                    RESPONSES.add(r);
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        return RESPONSES;
    }

    /** The exposures of every sync event these users' pages sent, as metrics-ingest put them on telemetry.sync. */
    private static Map<String, List<FlagExposure>> syncEventsOf(java.util.Set<String> users) {
        AvroCodec<SyncEvent> codec = AvroCodec.of(SyncEvent.class);
        Map<String, List<FlagExposure>> byUser = new HashMap<>();
        await().atMost(WAIT).until(() -> {
            byUser.clear();
            for (ConsumerRecord<String, byte[]> r : TopicContents.readAll(Topics.TELEMETRY_SYNC)) {
                SyncEvent event = codec.decode(r.value());
                if (event.getUserId() != null && users.contains(event.getUserId())) {
                    assertThat(event.getExposures()).hasSize(1);
                    assertThat(event.getExposures().get(0).getFlagKey()).isEqualTo(FLAG);
                    byUser.computeIfAbsent(event.getUserId(), u -> new ArrayList<>())
                            .add(event.getExposures().get(0));
                }
            }
            return byUser.values().stream().mapToInt(List::size).sum() >= 8;
        });
        return byUser;
    }

    /** Events of the flag's tumbling cohort windows, summed per cohort, once at least {@code expected} are in. */
    private static Map<Cohort, Long> countedPerCohort(int expected) {
        Map<Cohort, Long> counted = new HashMap<>();
        await().atMost(WAIT).until(() -> {
            counted.clear();
            counted.putAll(TopicContents.eventsPerCohort(FLAG));
            return counted.values().stream().mapToLong(Long::longValue).sum() >= expected;
        });
        return counted;
    }

    /**
     * The repository's example page and the client's built module with its packages, as any static server would
     * serve them; nothing else of the repository.
     */
    private static HttpServer servePages(int port) throws IOException {
        Path root = Path.of(System.getProperty("rollguard.root", ".."))
                .toAbsolutePath()
                .normalize();
        Map<String, String> types = Map.of(
                "html", "text/html; charset=utf-8",
                "js", "text/javascript; charset=utf-8",
                "mjs", "text/javascript; charset=utf-8",
                "map", "application/json",
                "json", "application/json");
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        server.createContext("/", (HttpExchange exchange) -> {
            try (exchange) {
                String path = exchange.getRequestURI().getPath();
                Path file = root.resolve(path.substring(1)).normalize();
                boolean allowed = file.startsWith(root.resolve("examples"))
                        || file.startsWith(root.resolve("client-js/dist"))
                        || file.startsWith(root.resolve("client-js/node_modules"));
                if (!allowed || !Files.isRegularFile(file)) {
                    exchange.sendResponseHeaders(404, -1);
                    return;
                }
                String name = file.getFileName().toString();
                String type = types.getOrDefault(name.substring(name.lastIndexOf('.') + 1), "application/octet-stream");
                byte[] body = Files.readAllBytes(file);
                exchange.getResponseHeaders().set("Content-Type", type);
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        });
        server.start();
        return server;
    }

    private static WebDriver chromium() {
        SELENIUM_DEVTOOLS.setLevel(Level.SEVERE);
        return HeadlessChromium.start("client-js-it-chromium", null, true);
    }

    private static String text(String id) {
        return driver.findElement(By.id(id)).getText();
    }

    private static Object js(String script) {
        return ((JavascriptExecutor) driver).executeScript(script);
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
