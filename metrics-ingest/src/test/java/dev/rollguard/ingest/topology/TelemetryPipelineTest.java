package dev.rollguard.ingest.topology;

import static dev.rollguard.ingest.TelemetryFixtures.exposure;
import static dev.rollguard.ingest.TelemetryFixtures.sync;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.matchesRegex;

import dev.rollguard.infra.InfraTestResource;
import dev.rollguard.ingest.EventClock;
import dev.rollguard.ingest.KafkaTestClient;
import dev.rollguard.ingest.TelemetryFixtures;
import dev.rollguard.ingest.config.IngestConfig;
import dev.rollguard.ingest.service.FlagDirectory;
import dev.rollguard.schemas.Topics;
import dev.rollguard.schemas.bucketing.Bucketing;
import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.event.SyncEvent;
import dev.rollguard.schemas.event.WindowKind;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import dev.rollguard.schemas.serde.AvroCodec;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.KafkaStreams;
import org.assertj.core.api.Condition;
import org.junit.jupiter.api.Test;

/** The running service on the real broker: telemetry in, closed windows and dead letters out. */
@QuarkusTest
@QuarkusTestResource(
        value = InfraTestResource.class,
        initArgs = @ResourceArg(name = InfraTestResource.KAFKA_STREAMS, value = "true"))
class TelemetryPipelineTest {

    @Inject
    FlagDirectory flags;

    @Inject
    KafkaStreams streams;

    @Inject
    IngestConfig config;

    static void send(SyncEvent event) {
        KafkaTestClient.send(
                Topics.TELEMETRY_SYNC,
                event.getClientId(),
                AvroCodec.of(SyncEvent.class).encode(event));
    }

    @Test
    void closedWindowsArePublishedPerScopeAndCohort() {
        String table = "t-" + UUID.randomUUID();
        String flag = "f-" + UUID.randomUUID();
        Instant start = EventClock.start();
        send(sync("k1", start, true, 100)
                .setTable(table)
                .setExposures(List.of(exposure(flag, "on", true)))
                .build());
        send(sync("k2", start, false, 300)
                .setTable(table)
                .setExposures(List.of(exposure(flag, "off", false)))
                .build());
        send(sync("k1", start, true, 200)
                .setTable(table)
                .setExposures(List.of(exposure(flag, "on", true)))
                .build());
        // One closing event per scope, so that each scope's partition sees stream time move past the window.
        send(sync("k1", EventClock.closing(start), true, 1)
                .setTable(table)
                .setExposures(List.of(exposure(flag, "on", true)))
                .build());
        send(sync("k2", EventClock.closing(start), true, 1)
                .setTable(table)
                .setExposures(List.of(exposure(flag, "off", false)))
                .build());

        var windows = KafkaTestClient.await(
                Topics.METRICS_WINDOWS,
                r -> {
                    WindowMetricsEvent w =
                            AvroCodec.of(WindowMetricsEvent.class).decode(r.value());
                    return w.getWindowKind() == WindowKind.TUMBLING
                            && !w.getWindowStart().isAfter(start)
                            && w.getWindowEnd().isAfter(start)
                            && (w.getScopeKey().equals("table:" + table)
                                    || w.getScopeKey().startsWith("flag:" + flag + ":"));
                },
                found -> found.size() >= 3,
                Duration.ofSeconds(60));

        assertThat(windows).hasSize(3);
        for (var record : windows) {
            WindowMetricsEvent w = AvroCodec.of(WindowMetricsEvent.class).decode(record.value());
            switch (w.getScopeType()) {
                case TABLE -> {
                    assertThat(record.key()).isEqualTo("table:" + table);
                    assertThat(w.getEventCount()).isEqualTo(3);
                    assertThat(w.getFailureCount()).isEqualTo(1);
                }
                case FLAG_COHORT -> {
                    assertThat(record.key()).isEqualTo("flag:" + flag);
                    assertThat(w.getEventCount()).isEqualTo(w.getCohort() == Cohort.TREATMENT ? 2 : 1);
                }
                default -> throw new AssertionError("unexpected window " + w);
            }
        }
    }

    @Test
    void aScopeWithoutLaterEventsClosesAsStreamTimeMovesElsewhere() {
        int partitions;
        try (var producer = KafkaTestClient.producer()) {
            partitions = producer.partitionsFor(Topics.TELEMETRY_SYNC).size();
        }
        // A flag whose treatment scope is merged on a partition that the later events (global and platform:WEB
        // only) never reach: only the ticks move stream time there.
        String flag;
        do {
            flag = "quiet-" + UUID.randomUUID();
        } while (partition("flag:" + flag + ":treatment", partitions) == partition("global", partitions)
                || partition("flag:" + flag + ":treatment", partitions) == partition("platform:WEB", partitions));
        String treatment = "flag:" + flag + ":treatment";
        Instant start = EventClock.start();
        send(sync("quiet-user", start, true, 100)
                .setExposures(List.of(exposure(flag, "on", true)))
                .build());
        send(sync("someone-else", EventClock.closing(start), true, 1).build());

        var windows = KafkaTestClient.await(
                Topics.METRICS_WINDOWS,
                r -> {
                    WindowMetricsEvent w =
                            AvroCodec.of(WindowMetricsEvent.class).decode(r.value());
                    return w.getWindowKind() == WindowKind.TUMBLING
                            && w.getScopeKey().equals(treatment);
                },
                found -> !found.isEmpty(),
                Duration.ofSeconds(60));
        WindowMetricsEvent window =
                AvroCodec.of(WindowMetricsEvent.class).decode(windows.get(0).value());
        assertThat(window.getEventCount()).isEqualTo(1);
        assertThat(window.getWindowStart()).isBeforeOrEqualTo(start);
    }

    /** The partition of the merge stage a scope key is hashed to (Kafka's default partitioning of the key). */
    static int partition(String scopeKey, int partitions) {
        return Utils.toPositive(Utils.murmur2(scopeKey.getBytes(StandardCharsets.UTF_8))) % partitions;
    }

    @Test
    void exposuresServedForAnotherKeyThanTheUserIdAreCountedAndReportedPerFlag() {
        String flag = "key-guard-" + UUID.randomUUID();
        Instant start = EventClock.start();
        KafkaTestClient.send(
                Topics.FLAGS_CHANGES,
                flag,
                AvroCodec.of(FlagChangedEvent.class)
                        .encode(TelemetryFixtures.flag(flag, 1, start.minusSeconds(1), 1_000)
                                .build()));
        await().atMost(Duration.ofSeconds(60)).until(() -> flags.latest(flag) != null);
        // At 10 %, users outside the rollout; the app says it served them 'on' (it evaluated with another key).
        List<String> controlUsers = java.util.stream.IntStream.range(0, 1_000)
                .mapToObj(i -> "user-" + i)
                .filter(u -> !Bucketing.inRollout(flag, u, 1_000))
                .limit(3)
                .toList();
        String treatedUser = java.util.stream.IntStream.range(0, 1_000)
                .mapToObj(i -> "user-" + i)
                .filter(u -> Bucketing.inRollout(flag, u, 1_000))
                .findFirst()
                .orElseThrow();
        for (String user : controlUsers) {
            send(sync("c-" + user, start, true, 10)
                    .setUserId(user)
                    .setExposures(List.of(exposure(flag, "on", null)))
                    .build());
        }
        send(sync("c-" + treatedUser, start, true, 10)
                .setUserId(treatedUser)
                .setExposures(List.of(exposure(flag, "on", null)))
                .build());

        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> given().when()
                .get("/q/health/ready")
                .then()
                .statusCode(200)
                .body("checks.find { it.name == 'Telemetry targeting keys' }.status", equalTo("UP"))
                .body("checks.find { it.name == 'Telemetry targeting keys' }.data.'" + flag + "'", equalTo(3)));
        given().accept("text/plain")
                .when()
                .get("/q/metrics")
                .then()
                .statusCode(200)
                .body(matchesRegex(
                        "(?s).*rollguard_ingest_exposure_key_mismatch_total\\{flag=\"" + flag + "\",?} 3\\.0\n.*"));
    }

    @Test
    void anUndecodableFlagChangeIsDeadLetteredAndTheFlagsAfterItStillArrive() {
        String poison = "poison-" + UUID.randomUUID();
        String flag = "after-poison-" + UUID.randomUUID();
        KafkaTestClient.send(Topics.FLAGS_CHANGES, poison, "not a flag change".getBytes(StandardCharsets.UTF_8));
        KafkaTestClient.send(
                Topics.FLAGS_CHANGES,
                flag,
                AvroCodec.of(FlagChangedEvent.class)
                        .encode(TelemetryFixtures.flag(flag, 1, EventClock.start(), 5000)
                                .build()));

        await().atMost(Duration.ofSeconds(60)).until(() -> flags.latest(flag) != null);
        assertThat(streams.state()).isEqualTo(KafkaStreams.State.RUNNING);
        var dead = KafkaTestClient.await(
                Topics.TELEMETRY_DLQ, r -> poison.equals(r.key()), found -> !found.isEmpty(), Duration.ofSeconds(60));
        assertThat(dead).singleElement().satisfies(r -> {
            assertThat(r.value()).isEqualTo("not a flag change".getBytes(StandardCharsets.UTF_8));
            assertThat(DeadLetterHeaders.read(r.headers(), DeadLetterHeaders.STAGE))
                    .isEqualTo(DeadLetterHeaders.STAGE_DESERIALIZATION);
            assertThat(DeadLetterHeaders.read(r.headers(), DeadLetterHeaders.SOURCE_TOPIC))
                    .isEqualTo(Topics.FLAGS_CHANGES);
            assertThat(DeadLetterHeaders.read(r.headers(), DeadLetterHeaders.REASON))
                    .isNotBlank();
        });
    }

    @Test
    void undecodableAndInvalidRecordsReachTheDeadLetterTopicWithTheirSource() {
        String key = "dlq-" + UUID.randomUUID();
        KafkaTestClient.send(Topics.TELEMETRY_SYNC, key, "garbage".getBytes(StandardCharsets.UTF_8));
        send(sync(key, EventClock.start(), true, -10).build());

        var dead = KafkaTestClient.await(
                Topics.TELEMETRY_DLQ, r -> key.equals(r.key()), found -> found.size() >= 2, Duration.ofSeconds(60));
        assertThat(dead)
                .extracting(r -> DeadLetterHeaders.read(r.headers(), DeadLetterHeaders.STAGE))
                .containsExactlyInAnyOrder("DESERIALIZATION", "VALIDATION");
        for (var record : dead) {
            assertThat(DeadLetterHeaders.read(record.headers(), DeadLetterHeaders.SOURCE_TOPIC))
                    .isEqualTo(Topics.TELEMETRY_SYNC);
            assertThat(DeadLetterHeaders.read(record.headers(), DeadLetterHeaders.SOURCE_PARTITION))
                    .matches("[0-2]");
            assertThat(DeadLetterHeaders.read(record.headers(), DeadLetterHeaders.SOURCE_OFFSET))
                    .matches("\\d+");
            assertThat(DeadLetterHeaders.read(record.headers(), DeadLetterHeaders.REASON))
                    .isNotBlank();
        }
        assertThat(dead)
                .filteredOn(r -> "DESERIALIZATION".equals(DeadLetterHeaders.read(r.headers(), DeadLetterHeaders.STAGE)))
                .singleElement()
                .satisfies(r -> assertThat(r.value()).isEqualTo("garbage".getBytes(StandardCharsets.UTF_8)));
        given().accept("text/plain")
                .when()
                .get("/q/metrics")
                .then()
                .statusCode(200)
                .body(containsString(
                        "rollguard_ingest_dead_letters_total{code=\"NEGATIVE_VALUE\",stage=\"VALIDATION\""))
                .body(containsString("stage=\"DESERIALIZATION\""));
    }

    @Test
    void everyRocksDbStoreOfTheServiceSharesOneCacheOfTheConfiguredSize() {
        long configured = config.rocksdb().memoryBytes();
        // The documented default, which BoundedMemoryRocksDBConfig also takes when the size is not passed on.
        assertThat(configured).isEqualTo(BoundedMemoryRocksDBConfig.DEFAULT_MEMORY_BYTES);

        // The stores open once the tasks are assigned; RocksDB reports each one's cache capacity (a window store
        // reports 0 until its first segment opens).
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            Map<String, Long> capacities = new HashMap<>();
            streams.metrics().forEach((name, metric) -> {
                if (name.name().equals("block-cache-capacity")) {
                    capacities.put(name.tags().toString(), ((Number) metric.metricValue()).longValue());
                }
            });
            assertThat(capacities)
                    .hasKeySatisfying(keyContaining("rocksdb-state-id=" + WindowMergeProcessor.WATERMARKS_STORE))
                    .hasKeySatisfying(keyContaining("rocksdb-state-id=" + HoppingProcessor.STORE))
                    .allSatisfy((store, capacity) -> {
                        if (store.contains("rocksdb-window-state-id=")) {
                            assertThat(capacity).as(store).isIn(0L, configured);
                        } else {
                            assertThat(capacity).as(store).isEqualTo(configured);
                        }
                    });
        });
    }

    private static Condition<String> keyContaining(String text) {
        return new Condition<>(key -> key.contains(text), "containing " + text);
    }
}
