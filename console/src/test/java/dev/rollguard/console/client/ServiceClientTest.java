package dev.rollguard.console.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rollguard.console.client.ServiceClient.Service;
import dev.rollguard.console.config.ConsoleConfig;
import dev.rollguard.console.session.OperatorSession;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A service that cannot be reached is said so on every path (a single read, a write, a page's reads, the health
 * report's), also when the connect timeout ({@code console.services.timeout}) ends the wait before the deadline of the
 * reads: never "no answer within 5 s", and for a write never "may have been applied", since nothing was sent. And a
 * timeout or deadline that is not positive stops the console at start.
 */
class ServiceClientTest {

    /** Short, so that each connect gives up quickly; far shorter than the deadlines below. */
    private static final String CONNECT_TIMEOUT = "300ms";

    private static final Duration HEALTH_REPORT_DEADLINE = Duration.ofSeconds(5);

    /** Generous: a connect timeout of 0.3 s, well under the 5 s deadline it must not be taken for. */
    private static final long UPPER_BOUND_MS = 4_000;

    /** Listens but never accepts; its accept queue is full, so a new connection is never set up. */
    private static ServerSocket full;

    private static final List<Socket> queued = new ArrayList<>();

    @BeforeAll
    static void aServerWhoseAcceptQueueIsFull() throws IOException {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        full = new ServerSocket(0, 1, loopback);
        for (int i = 0; i < 64; i++) {
            Socket socket = new Socket();
            try {
                socket.connect(new InetSocketAddress(loopback, full.getLocalPort()), 200);
                queued.add(socket);
            } catch (SocketTimeoutException queueFull) {
                socket.close();
                return;
            }
        }
        throw new IllegalStateException("the accept queue never filled up");
    }

    @AfterAll
    static void close() throws IOException {
        for (Socket socket : queued) {
            socket.close();
        }
        full.close();
    }

    @Test
    void aServiceThatCannotBeConnectedToIsUnreachableOnEveryPath() {
        ServiceClient client = new ServiceClient(config(Map.of()), new ObjectMapper());
        OperatorSession session =
                new OperatorSession("s", "token", "admin", true, "csrf", Instant.now(), "ana", "", null);

        long started = System.nanoTime();
        ApiResult report = client.reads(HEALTH_REPORT_DEADLINE)
                .getText(Service.INGEST, "/api/health-report", "token")
                .await();
        ApiResult page =
                client.reads().get(Service.ALERT, "/api/alerts", "token").await();
        ApiResult read = client.get(Service.FLAG, "/api/flags", "token");
        ApiResult write = client.write(Service.FLAG, "POST", "/api/flags/f/kill", session, Map.of(), Map.of());
        long tookMs = (System.nanoTime() - started) / 1_000_000;

        assertThat(report.message()).isEqualTo("metrics-ingest is unavailable: no connection within 300 ms");
        assertThat(page.message()).isEqualTo("alert-service is unavailable: no connection within 300 ms");
        assertThat(read.message()).isEqualTo("flag-service is unavailable: no connection within 300 ms");
        assertThat(write.message()).isEqualTo("flag-service is unavailable: no connection within 300 ms");
        assertThat(write.unanswered()).isFalse();
        assertThat(tookMs).isLessThan(UPPER_BOUND_MS);
    }

    @Test
    void whatWentWrongIsSaidInWordsNeverAsAJavaClass() throws IOException {
        int closedPort;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = free.getLocalPort();
        }
        OperatorSession session =
                new OperatorSession("s", "token", "admin", true, "csrf", Instant.now(), "ana", "", null);
        ServiceClient refused = new ServiceClient(config(urls(closedPort)), new ObjectMapper());
        assertThat(refused.get(Service.FLAG, "/api/flags", "token").message())
                .isEqualTo("flag-service is unavailable: could not connect");
        assertThat(refused.reads()
                        .get(Service.ALERT, "/api/alerts", "token")
                        .await()
                        .message())
                .isEqualTo("alert-service is unavailable: could not connect");

        // Accepts each connection, reads the request's first bytes and closes it without an answer.
        try (ServerSocket hangsUp = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                while (!hangsUp.isClosed()) {
                    try (Socket socket = hangsUp.accept()) {
                        socket.getInputStream().read(new byte[512]);
                    } catch (IOException closed) {
                        // the test is over, or the client went away first
                    }
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            ServiceClient client = new ServiceClient(config(urls(hangsUp.getLocalPort())), new ObjectMapper());
            assertThat(client.get(Service.FLAG, "/api/flags", "token").message())
                    .isEqualTo("flag-service is unavailable: the connection closed before an answer");
            ApiResult write = client.write(Service.FLAG, "POST", "/api/flags/f/kill", session, Map.of(), Map.of());
            assertThat(write.message())
                    .isEqualTo("flag-service did not answer: the connection closed before an answer");
            assertThat(write.unanswered()).isTrue();
            hangsUp.close();
            acceptor.interrupt();
        }
    }

    private static Map<String, String> urls(int port) {
        Map<String, String> urls = new HashMap<>();
        for (String service : List.of("flag-service", "metrics-ingest", "alert-service", "rollback-service")) {
            urls.put("console.services." + service, "http://127.0.0.1:" + port);
        }
        return urls;
    }

    @Test
    void aTimeoutOrDeadlineThatIsNotPositiveIsRefusedAtStart() {
        for (String name : List.of("timeout", "page-deadline", "health-report-deadline")) {
            for (String value : List.of("0s", "-1s")) {
                ConsoleConfig config = config(Map.of("console.services." + name, value));
                assertThatThrownBy(() -> new ServiceClient(config, new ObjectMapper()))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessage("console.services." + name + " must be longer than zero, but is "
                                + new DurationConverter().convert(value));
            }
        }
    }

    private static ConsoleConfig config(Map<String, String> overrides) {
        Map<String, String> values = new HashMap<>();
        String url = "http://127.0.0.1:" + full.getLocalPort();
        for (String service : List.of("flag-service", "metrics-ingest", "alert-service", "rollback-service")) {
            values.put("console.services." + service, url);
        }
        values.put("console.services.timeout", CONNECT_TIMEOUT);
        values.put("console.services.page-deadline", "5s");
        values.put("console.services.health-report-deadline", HEALTH_REPORT_DEADLINE.toSeconds() + "s");
        values.putAll(overrides);
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .withMapping(ConsoleConfig.class)
                // Quarkus's own reading of "5s", "30m", "300ms".
                .withConverter(Duration.class, 100, new DurationConverter())
                .withDefaultValues(values)
                .build();
        return config.getConfigMapping(ConsoleConfig.class);
    }
}
