package dev.rollguard.ingest.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.client.HttpTelemetryTransport;
import dev.rollguard.client.TelemetryClient;
import dev.rollguard.infra.InfraTestResource;
import dev.rollguard.ingest.EventClock;
import dev.rollguard.ingest.KafkaTestClient;
import dev.rollguard.schemas.Topics;
import dev.rollguard.schemas.event.Platform;
import dev.rollguard.schemas.event.SyncEvent;
import dev.rollguard.schemas.event.SyncKind;
import dev.rollguard.schemas.event.WindowKind;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import dev.rollguard.schemas.serde.AvroCodec;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The Java client against the running service and the real broker: events sent while metrics-ingest is unreachable
 * wait in the client's offline queue and arrive when it is back; a batch whose answer was lost is sent again, and
 * its events are still counted once.
 */
@QuarkusTest
@QuarkusTestResource(
        value = InfraTestResource.class,
        initArgs = @ResourceArg(name = InfraTestResource.KAFKA_STREAMS, value = "true"))
class TelemetryClientIntakeTest {

    static final int EVENTS = 30;

    @Test
    void eventsQueuedWhileTheServiceWasAwayArriveAndARetriedBatchCountsOnce() throws Exception {
        String table = "client-" + UUID.randomUUID();
        Instant start = EventClock.start();
        try (TcpProxy network = new TcpProxy(RestAssured.port);
                TelemetryClient client = TelemetryClient.builder(
                                new HttpTelemetryTransport(
                                        URI.create("http://127.0.0.1:" + network.port()),
                                        "test-producer-token",
                                        Duration.ofSeconds(10)),
                                "client-library-test")
                        // Set, not defaulted: the Avro builder resolves enum defaults with the class loader of the
                        // thread that loaded it, which in @QuarkusTest differs from the application's.
                        .platform(Platform.WEB)
                        .batchSize(50)
                        .backoff(Duration.ofMillis(100), Duration.ofMillis(400))
                        .build()) {
            for (int i = 0; i < EVENTS; i++) {
                client.send(SyncEvent.newBuilder()
                        .setEventTime(start)
                        .setSyncKind(SyncKind.OTHER)
                        .setTable(table)
                        .setSuccess(i % 3 != 0)
                        .setDurationMs(100 + i));
            }
            assertThat(client.flush(Duration.ofMillis(500)))
                    .as("nothing delivered while the service is unreachable")
                    .isFalse();
            assertThat(client.stats().queued()).isEqualTo(EVENTS);

            // Back, but the answer to the first batch is lost on its way: the client must send it again.
            network.dropNextResponse();
            network.up();
            assertThat(client.flush(Duration.ofSeconds(60))).isTrue();
            TelemetryClient.Stats stats = client.stats();
            assertThat(stats.sent()).isEqualTo(EVENTS);
            assertThat(stats.dropped()).isZero();
            assertThat(stats.rejected()).isZero();
            assertThat(stats.retries()).isPositive();

            // Closes the window at the table's scope.
            client.send(SyncEvent.newBuilder()
                    .setEventTime(EventClock.closing(start))
                    .setSyncKind(SyncKind.OTHER)
                    .setTable(table)
                    .setSuccess(true)
                    .setDurationMs(1));
            assertThat(client.flush(Duration.ofSeconds(60))).isTrue();
        }

        var published = KafkaTestClient.await(
                Topics.TELEMETRY_SYNC,
                r -> table.equals(
                        AvroCodec.of(SyncEvent.class).decode(r.value()).getTable()),
                found -> found.size() >= 2 * EVENTS + 1,
                Duration.ofSeconds(60));
        assertThat(published)
                .as("the lost answer's batch reached the broker twice")
                .hasSize(2 * EVENTS + 1);

        var windows = KafkaTestClient.await(
                Topics.METRICS_WINDOWS,
                r -> {
                    WindowMetricsEvent w =
                            AvroCodec.of(WindowMetricsEvent.class).decode(r.value());
                    return w.getWindowKind() == WindowKind.TUMBLING
                            && w.getScopeKey().equals("table:" + table)
                            && !w.getWindowStart().isAfter(start)
                            && w.getWindowEnd().isAfter(start);
                },
                found -> !found.isEmpty(),
                Duration.ofSeconds(60));
        WindowMetricsEvent window =
                AvroCodec.of(WindowMetricsEvent.class).decode(windows.get(0).value());
        assertThat(window.getEventCount()).as("each event counted once").isEqualTo(EVENTS);
        assertThat(window.getFailureCount()).isEqualTo(EVENTS / 3);
    }
}
