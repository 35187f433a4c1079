package dev.rollguard.ingest.service;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.sun.net.httpserver.HttpServer;
import dev.rollguard.http.error.ApiException;
import dev.rollguard.infra.InfraTestResource;
import dev.rollguard.ingest.EventClock;
import dev.rollguard.ingest.TestTokens;
import dev.rollguard.ingest.config.IngestConfig;
import dev.rollguard.ingest.domain.AggregateLimits;
import dev.rollguard.ingest.domain.WindowAggregate;
import dev.rollguard.ingest.mapping.WindowAggregateCodec;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.streams.state.HostInfo;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The path a health report takes for a scope hosted by another instance: here the "other instance" is this one,
 * asked over HTTP, so the wire format and the merge are checked against the local answer.
 */
@QuarkusTest
@QuarkusTestResource(
        value = InfraTestResource.class,
        initArgs = @ResourceArg(name = InfraTestResource.KAFKA_STREAMS, value = "true"))
class RemoteWindowsClientTest {

    @Inject
    RemoteWindowsClient remote;

    @Inject
    HealthReportService reports;

    @Test
    void fetchesTheMergedWindowsOfAScopeFromAnInstance() {
        String table = "remote-" + UUID.randomUUID();
        Instant start = EventClock.start();
        List<Map<String, Object>> events = List.of(
                Map.of(
                        "type",
                        "sync",
                        "eventId",
                        UUID.randomUUID().toString(),
                        "eventTime",
                        start.toEpochMilli(),
                        "clientId",
                        "r1",
                        "table",
                        table,
                        "success",
                        true,
                        "durationMs",
                        100),
                Map.of(
                        "type",
                        "sync",
                        "eventId",
                        UUID.randomUUID().toString(),
                        "eventTime",
                        start.toEpochMilli(),
                        "clientId",
                        "r2",
                        "table",
                        table,
                        "success",
                        false,
                        "durationMs",
                        300,
                        "errorCode",
                        "TIMEOUT"));
        given().header("Authorization", TestTokens.PRODUCER)
                .contentType(ContentType.JSON)
                .body(Map.of("events", events))
                .when()
                .post("/api/telemetry")
                .then()
                .statusCode(200)
                .body("accepted", equalTo(2));
        Instant from = start.minusSeconds(30);
        Instant to = start.plusSeconds(30);
        Awaitility.await()
                .atMost(Duration.ofSeconds(30))
                .until(() -> reports.localWindows("table:" + table, from, to)
                                .aggregate()
                                .eventCount()
                        == 2);

        var fetched = remote.fetch(new HostInfo("127.0.0.1", RestAssured.port), "table:" + table, from, to);
        var local = reports.localWindows("table:" + table, from, to);
        assertThat(fetched.windows()).isEqualTo(local.windows()).isPositive();
        assertThat(fetched.aggregate().eventCount()).isEqualTo(2);
        assertThat(fetched.aggregate().syncFailureCount()).isEqualTo(1);
        assertThat(fetched.aggregate().durationMaxMs()).isEqualTo(300.0);
        assertThat(fetched.aggregate().distinctClients()).isEqualTo(2);
    }

    @Test
    void anUnreachableInstanceMakesTheReportUnavailable() {
        assertThatThrownBy(() -> remote.fetch(new HostInfo("127.0.0.1", 1), "global", Instant.EPOCH, Instant.now()))
                .isInstanceOf(ApiException.class)
                .satisfies(e -> assertThat(((ApiException) e).status()).isEqualTo(503));
    }

    @Test
    void theInternalEndpointTakesTheAdminTokenOnly() {
        given().header("Authorization", TestTokens.PRODUCER)
                .queryParam("scope", "global")
                .queryParam("from", 0)
                .queryParam("to", 1)
                .when()
                .get("/api/internal/windows")
                .then()
                .statusCode(403);
        given().header("Authorization", TestTokens.ADMIN)
                .queryParam("scope", "global")
                .when()
                .get("/api/internal/windows")
                .then()
                .statusCode(400)
                .body("code", equalTo("VALIDATION_FAILED"));
    }

    @Test
    void parametersThatAreNotEpochMillisecondsAre400NamingTheParameter() {
        Map<String, Map<String, String>> wrong = Map.of(
                "from", Map.of("from", "abc", "to", "1"),
                "to", Map.of("from", "0", "to", "1.5"),
                "scope", Map.of("from", "0", "to", "1"));
        wrong.forEach((field, query) -> given().header("Authorization", TestTokens.ADMIN)
                .queryParams(query)
                .queryParam("scope", field.equals("scope") ? " " : "global")
                .when()
                .get("/api/internal/windows")
                .then()
                .statusCode(400)
                .body("code", equalTo("VALIDATION_FAILED"))
                .body("violations[0].field", equalTo(field)));
    }

    /** A report near the epoch asks for windows from before it (its default range reaches back): none, no error. */
    @Test
    void aRangeReachingBeforeTheEpochIsServed() {
        for (long from : new long[] {-86_400_000L, Long.MIN_VALUE}) {
            given().header("Authorization", TestTokens.ADMIN)
                    .queryParam("scope", "global")
                    .queryParam("from", from)
                    .queryParam("to", 1000)
                    .when()
                    .get("/api/internal/windows")
                    .then()
                    .statusCode(200)
                    .body("windows", equalTo(0));
        }
    }

    @Inject
    IngestConfig config;

    @Inject
    FlagDirectory directory;

    /**
     * An instance that answers each ask for windows after {@code delay} with empty windows, or, with {@code stall},
     * sends its headers and then nothing; it counts the asks it holds at once.
     */
    static final class SlowInstance implements AutoCloseable {
        final HttpServer server;
        final AtomicInteger inFlight = new AtomicInteger();
        final AtomicInteger mostAtOnce = new AtomicInteger();
        final CountDownLatch released = new CountDownLatch(1);
        final ExecutorService pool = Executors.newCachedThreadPool();
        /** Counted down when a stalled answer could no longer be written: the asker closed its connection. */
        final CountDownLatch givenUp = new CountDownLatch(1);

        SlowInstance(Duration delay, boolean stall) throws IOException {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
            server.setExecutor(pool);
            byte[] body = ("{\"windows\":1,\"aggregate\":\""
                            + Base64.getEncoder()
                                    .encodeToString(
                                            WindowAggregateCodec.encode(new WindowAggregate(AggregateLimits.DEFAULTS)))
                            + "\"}")
                    .getBytes(StandardCharsets.UTF_8);
            server.createContext("/api/internal/windows", exchange -> {
                mostAtOnce.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                try {
                    if (stall) {
                        // Headers, then a byte now and then and never the end: the answer is under way, never done,
                        // until the asker gives it up (a write fails then) or the test ends.
                        exchange.sendResponseHeaders(200, 0);
                        try {
                            while (!released.await(100, TimeUnit.MILLISECONDS)) {
                                exchange.getResponseBody().write(' ');
                                exchange.getResponseBody().flush();
                            }
                        } catch (IOException e) {
                            givenUp.countDown();
                        }
                        return;
                    }
                    Thread.sleep(delay.toMillis());
                    exchange.sendResponseHeaders(200, body.length);
                    exchange.getResponseBody().write(body);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    inFlight.decrementAndGet();
                    exchange.close();
                }
            });
            server.start();
        }

        HostInfo host() {
            return new HostInfo("127.0.0.1", server.getAddress().getPort());
        }

        @Override
        public void close() {
            released.countDown();
            server.stop(0);
            pool.shutdownNow();
        }
    }

    /** A store that hosts no scope here: every scope is on {@code host}. */
    static TumblingWindows elsewhere(HostInfo host) {
        return new TumblingWindows() {
            @Override
            public AggregateLimits limits() {
                return AggregateLimits.DEFAULTS;
            }

            @Override
            public boolean hostedLocally(String scope) {
                return false;
            }

            @Override
            public HostInfo host(String scope) {
                return host;
            }

            @Override
            public HealthReportService.ScopeWindows local(String scope, Instant start, Instant end) {
                throw new AssertionError("no scope is hosted here");
            }
        };
    }

    @Test
    void aReportAsksEveryInstanceItNeedsAtOnce() throws Exception {
        try (SlowInstance peer = new SlowInstance(Duration.ofSeconds(2), false)) {
            var report = new HealthReportService(elsewhere(peer.host()), config, remote, directory)
                    .report("checkout-" + UUID.randomUUID(), null, null, null, null);
            assertThat(report.windows())
                    .as("one window from each cohort's instance")
                    .isEqualTo(2);
            assertThat(peer.mostAtOnce.get())
                    .as("the treatment's and the control's windows asked at once, not one after the other")
                    .isEqualTo(2);
        }
    }

    @Test
    void anInstanceThatStallsItsAnswerEndsTheReportWithin503() throws Exception {
        try (SlowInstance peer = new SlowInstance(Duration.ZERO, true)) {
            var reports = new HealthReportService(elsewhere(peer.host()), config, remote, directory);
            // Before, the timeout ended once the headers were in: a stalled body held the report for good.
            assertTimeoutPreemptively(Duration.ofSeconds(30), () -> assertThatThrownBy(
                            () -> reports.report(null, null, "orders", null, null))
                    .isInstanceOf(ApiException.class)
                    .satisfies(e -> assertThat(((ApiException) e).status()).isEqualTo(503)));
            assertThat(peer.givenUp.await(10, TimeUnit.SECONDS))
                    .as("the ask given up, its connection closed, not left open with the instance")
                    .isTrue();
        }
    }
}
