package dev.rollguard.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
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
 * server accepts connections and never replies, with the default timeout (alert-service, rollback-service) or a
 * service's own (flag-service). The services' health tests see it UP against
 * the shared test broker, which cannot be stopped under their other tests.
 */
class KafkaReadinessCheckTest {

    @Test
    void nothingListeningIsDownWithinTheTimeout() throws IOException {
        String bootstrap = "127.0.0.1:" + freePort();
        assertDownWithinTwoSeconds(new KafkaReadinessCheck(clientConfig(bootstrap)));
        assertDownWithinTwoSeconds(new KafkaReadinessCheck(clientConfig(bootstrap), Duration.ofMillis(500)));
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
                } catch (IOException closed) {
                    // the test is over
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            String bootstrap = "127.0.0.1:" + silent.getLocalPort();
            assertDownWithinTwoSeconds(new KafkaReadinessCheck(clientConfig(bootstrap)));
            assertDownWithinTwoSeconds(new KafkaReadinessCheck(clientConfig(bootstrap), Duration.ofMillis(500)));
        } finally {
            for (Socket socket : accepted) {
                socket.close();
            }
        }
    }

    /** A consumer's configuration, as a service's Kafka client has it: the settings an admin client lacks are left out. */
    private static Map<String, Object> clientConfig(String bootstrap) {
        return Map.of(
                "bootstrap.servers", bootstrap,
                "group.id", "not-an-admin-setting",
                "key.deserializer", "org.apache.kafka.common.serialization.StringDeserializer");
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static void assertDownWithinTwoSeconds(KafkaReadinessCheck check) {
        try {
            for (int probe = 0; probe < 2; probe++) {
                long start = System.nanoTime();
                HealthCheckResponse response = check.call();
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
