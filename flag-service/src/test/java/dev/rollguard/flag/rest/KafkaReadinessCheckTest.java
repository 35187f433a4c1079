package dev.rollguard.flag.rest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.infra.Ports;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.junit.jupiter.api.Test;

/**
 * The Kafka readiness check answers DOWN within its timeout when no broker answers, whether nothing listens or a
 * server accepts connections and never replies (the shared test broker cannot be stopped under the other tests;
 * HealthTest sees the check UP against it).
 */
class KafkaReadinessCheckTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(1);

    @Test
    void nothingListeningIsDownWithinTheTimeout() {
        assertDownWithinTwoSeconds("127.0.0.1:" + Ports.free());
    }

    @Test
    void aBrokerThatNeverAnswersIsDownWithinTheTimeout() throws Exception {
        List<Socket> accepted = new ArrayList<>();
        try (ServerSocket silent = new ServerSocket(0)) {
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        accepted.add(silent.accept());
                    }
                } catch (Exception closed) {
                    // the test is over
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            assertDownWithinTwoSeconds("127.0.0.1:" + silent.getLocalPort());
        } finally {
            for (Socket socket : accepted) {
                socket.close();
            }
        }
    }

    private static void assertDownWithinTwoSeconds(String bootstrap) {
        KafkaReadinessCheck check = new KafkaReadinessCheck(Map.of("bootstrap.servers", bootstrap), TIMEOUT);
        try {
            for (int probe = 0; probe < 2; probe++) {
                long start = System.nanoTime();
                HealthCheckResponse response = check.call().await().atMost(Duration.ofSeconds(10));
                Duration took = Duration.ofNanos(System.nanoTime() - start);
                assertThat(response.getStatus()).isEqualTo(HealthCheckResponse.Status.DOWN);
                assertThat(response.getData().orElseThrow()).containsKey("reason");
                assertThat(took).isLessThan(Duration.ofSeconds(2));
            }
        } finally {
            check.close();
        }
    }
}
