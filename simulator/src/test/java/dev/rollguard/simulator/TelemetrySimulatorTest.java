package dev.rollguard.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.rollguard.infra.SharedInfra;
import dev.rollguard.schemas.Topics;
import dev.rollguard.schemas.event.SyncEvent;
import dev.rollguard.schemas.event.UploadEvent;
import dev.rollguard.schemas.serde.AvroCodec;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The simulator against the real broker, with a loopback HTTP server answering OFREP bulk evaluations in the
 * flag-service's place: every acknowledged event is on the topics, decodes, and carries the variant its client was
 * served; treated clients fail as the health model says.
 */
class TelemetrySimulatorTest {

    private HttpServer ofrep;
    private final AtomicInteger lookups = new AtomicInteger();

    @BeforeEach
    void startOfrep() throws Exception {
        ofrep = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        ofrep.createContext("/ofrep/v1/evaluate/flags", exchange -> {
            lookups.incrementAndGet();
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            boolean authorized =
                    "Bearer client-token".equals(exchange.getRequestHeaders().getFirst("Authorization"));
            // Every third user is treated, so both cohorts are populated.
            String user = body.replaceAll(".*\"targetingKey\":\"([^\"]+)\".*", "$1");
            String variant = Math.abs(user.hashCode()) % 3 == 0 ? "on" : "off";
            byte[] answer = ("{\"flags\":[{\"key\":\"offline-recording\",\"value\":" + variant.equals("on")
                            + ",\"variant\":\"" + variant + "\",\"reason\":\"SPLIT\"}]}")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(authorized ? 200 : 401, authorized ? answer.length : -1);
            if (authorized) {
                exchange.getResponseBody().write(answer);
            }
            exchange.close();
        });
        ofrep.start();
    }

    @AfterEach
    void stopOfrep() {
        ofrep.stop(0);
    }

    @Test
    void everyAcknowledgedEventIsOnTheTopicsWithItsExposure() {
        String bootstrap = SharedInfra.kafkaBootstrap();
        HealthModel health = new HealthModel(0.0, 100);
        health.set(new HealthModel.Condition("bad", "offline-recording", "on", HealthModel.Kind.ANY, 1.0, 0));
        var settings = new TelemetrySimulator.Settings(
                60, 400, 0.5, 0.0, Duration.ofSeconds(30), Set.of(), List.of("admin@example.com"), 7);
        String url = "http://127.0.0.1:" + ofrep.getAddress().getPort();

        long acked;
        try (var simulator = new TelemetrySimulator(settings, health, new FlagLookup(url, "client-token"), bootstrap)) {
            simulator.start();
            assertThat(lookups.get()).isEqualTo(60);
            await().atMost(Duration.ofSeconds(30)).until(() -> simulator.acked() >= 300);
            simulator.stop();
            acked = simulator.acked();
            assertThat(simulator.sendFailures()).isZero();
            assertThat(simulator.ackedWithExposure("offline-recording", "on")
                            + simulator.ackedWithExposure("offline-recording", "off"))
                    .isEqualTo(acked);
        }

        Map<String, Boolean> outcomeByVariant = new HashMap<>();
        Set<String> seen = new HashSet<>();
        try (var consumer = new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrap,
                        ConsumerConfig.GROUP_ID_CONFIG,
                        "simulator-test-" + UUID.randomUUID(),
                        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                        "earliest"),
                new StringDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(Topics.TELEMETRY_SYNC, Topics.TELEMETRY_UPLOAD));
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                for (var record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.topic().equals(Topics.TELEMETRY_SYNC)) {
                        SyncEvent e = AvroCodec.of(SyncEvent.class).decode(record.value());
                        assertThat(record.key()).isEqualTo(e.getClientId());
                        seen.add(e.getEventId());
                        outcomeByVariant.merge(e.getExposures().get(0).getVariant(), e.getSuccess(), (a, b) -> a && b);
                    } else {
                        UploadEvent e = AvroCodec.of(UploadEvent.class).decode(record.value());
                        seen.add(e.getEventId());
                        outcomeByVariant.merge(e.getExposures().get(0).getVariant(), e.getSuccess(), (a, b) -> a && b);
                    }
                }
                return seen.size() >= acked;
            });
        }
        assertThat(seen).hasSize((int) acked);
        // Treated clients always failed (rate 1.0), control clients never (baseline 0).
        assertThat(outcomeByVariant).containsEntry("on", false).containsEntry("off", true);
    }
}
