package dev.rollguard.ingest;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.openfeature.sdk.Client;
import dev.openfeature.sdk.EvaluationContext;
import dev.openfeature.sdk.FeatureProvider;
import dev.openfeature.sdk.ImmutableContext;
import dev.openfeature.sdk.ImmutableMetadata;
import dev.openfeature.sdk.Metadata;
import dev.openfeature.sdk.OpenFeatureAPI;
import dev.openfeature.sdk.ProviderEvaluation;
import dev.openfeature.sdk.Value;
import dev.rollguard.client.ExposureHook;
import dev.rollguard.client.Exposures;
import dev.rollguard.client.KafkaTelemetryTransport;
import dev.rollguard.client.TelemetryClient;
import dev.rollguard.infra.OutageTestResource;
import dev.rollguard.infra.TopicContents;
import dev.rollguard.ingest.topology.DeadLetterHeaders;
import dev.rollguard.schemas.Topics;
import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.event.Platform;
import dev.rollguard.schemas.event.SyncEvent;
import dev.rollguard.schemas.event.SyncKind;
import dev.rollguard.schemas.event.WindowKind;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import dev.rollguard.schemas.serde.AvroCodec;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.core.ConditionTimeoutException;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/**
 * The Java client with the Kafka transport against this service's own broker, really stopped for longer than the idle
 * timeout: the exposure hook records what an OpenFeature provider served, events sent while the broker is down wait in
 * the client's offline queue and arrive when it is back, still in time for their window (the outage is not idle time),
 * and each is counted in the cohort the app served, not the one metrics-ingest would have bucketed the user into.
 *
 * <p>Each event is sent twice under its id (and the client's retries around the outage may send a copy more), and
 * counts exactly once.
 */
@QuarkusTest
@TestProfile(OutageTest.OwnInfra.class)
class TelemetryClientBrokerOutageTest {

    static final String FLAG = "client-outage-" + UUID.randomUUID().toString().substring(0, 8);
    /** Served by the provider below, whatever the flag's own bucketing would say. */
    static final Set<String> TREATED = Set.of("u-0", "u-1", "u-2", "u-3");

    static final List<String> USERS = List.of("u-0", "u-1", "u-2", "u-3", "u-4", "u-5");
    static final int EVENTS_PER_USER = 2;
    /**
     * How long the broker stays down: longer than the idle timeout (10 s, the default) plus the window and its grace
     * (3 s in %test), so that on the wall clock alone the queued events' window closed during the outage.
     */
    static final Duration OUTAGE = Duration.ofSeconds(20);

    @Test
    void eventsQueuedWhileTheBrokerIsDownArriveOnceEachInTheCohortTheAppServed() throws Exception {
        await().atMost(Duration.ofSeconds(90))
                .untilAsserted(() -> given().get("/q/health/ready").then().statusCode(200));
        String bootstrap = ConfigProvider.getConfig().getValue("kafka.bootstrap.servers", String.class);
        Instant created = EventClock.start();
        publish(
                bootstrap,
                Topics.FLAGS_CHANGES,
                FLAG,
                AvroCodec.of(FlagChangedEvent.class)
                        .encode(TelemetryFixtures.flag(FLAG, 1, created, 5000).build()));

        Exposures exposures = new Exposures();
        OpenFeatureAPI flags = OpenFeatureAPI.getInstance();
        flags.setProviderAndWait("broker-outage-test", new ServedByList());
        Client client = flags.getClient("broker-outage-test");
        client.addHooks(new ExposureHook(exposures));
        for (String user : USERS) {
            assertThat(client.getBooleanValue(FLAG, false, new ImmutableContext(user)))
                    .isEqualTo(TREATED.contains(user));
        }

        // Every input task reads a record of the present first, so that its idle time counts from now (not the longer
        // idle time of a task that has read nothing since it started): had the outage been idle time, the window of
        // the events queued during it would close the idle timeout plus window and grace after they were sent.
        Instant present = EventClock.start();
        closeEveryPartition(bootstrap, present);
        // Those records are events too, of clients without exposures: metrics-ingest buckets them into the flag's
        // cohorts. The queued events start in the next window, so that the window asserted below holds them alone.
        Instant nextWindow = EventClock.nextWindow(present);
        await().atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(20))
                .until(() -> !EventClock.start().isBefore(nextWindow));
        String table = "outage-" + FLAG;
        Instant at;
        try (TelemetryClient telemetry = TelemetryClient.builder(
                        new KafkaTelemetryTransport(
                                Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap), Duration.ofSeconds(2)),
                        "backend-7")
                .exposures(exposures)
                // Set, not defaulted: see client.TelemetryClientIntakeTest.
                .platform(Platform.BACKEND)
                .backoff(Duration.ofMillis(200), Duration.ofSeconds(1))
                .build()) {
            OutageTestResource.stopKafka();
            at = EventClock.start();
            try {
                for (String user : USERS) {
                    for (int i = 0; i < EVENTS_PER_USER; i++) {
                        String id = UUID.randomUUID().toString();
                        for (int copy = 0; copy < 2; copy++) { // the app sends it again, as after a crash
                            telemetry.send(sync(user, at, table).setEventId(id));
                        }
                    }
                }
                assertThat(telemetry.flush(Duration.ofSeconds(3)))
                        .as("nothing delivered while the broker is down")
                        .isFalse();
                assertThat(telemetry.stats().queued()).isEqualTo(2 * USERS.size() * EVENTS_PER_USER);
                await().during(OUTAGE).atMost(OUTAGE.plusSeconds(10)).untilAsserted(() -> assertThat(
                                telemetry.stats().sent())
                        .as("nothing delivered while the broker is down")
                        .isZero());
            } finally {
                OutageTestResource.startKafka();
            }

            assertThat(telemetry.flush(Duration.ofSeconds(90))).isTrue();
            TelemetryClient.Stats stats = telemetry.stats();
            assertThat(stats.sent()).isEqualTo(2 * USERS.size() * EVENTS_PER_USER);
            assertThat(stats.dropped()).isZero();
            assertThat(stats.rejected()).isZero();
            assertThat(stats.retries()).isPositive();
        }
        closeEveryPartition(bootstrap, EventClock.closing(at));

        try {
            awaitEveryEventCounted(bootstrap, at);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError(
                    "dead letters of these events on " + Topics.TELEMETRY_DLQ + ": " + deadLetterCodes(bootstrap), e);
        }
    }

    /** Waits until the window holding {@code at} counts every event, in the cohort the app served. */
    static void awaitEveryEventCounted(String bootstrap, Instant at) {
        Map<Cohort, Long> counted = new EnumMap<>(Cohort.class);
        AvroCodec<WindowMetricsEvent> codec = AvroCodec.of(WindowMetricsEvent.class);
        await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
            counted.clear();
            for (ConsumerRecord<String, byte[]> r : TopicContents.readAll(bootstrap, Topics.METRICS_WINDOWS)) {
                if (!("flag:" + FLAG).equals(r.key())) {
                    continue;
                }
                WindowMetricsEvent w = codec.decode(r.value());
                if (w.getWindowKind() == WindowKind.TUMBLING
                        && !w.getWindowStart().isAfter(at)
                        && w.getWindowEnd().isAfter(at)) {
                    counted.merge(w.getCohort(), w.getEventCount(), Long::sum);
                }
            }
            // Waits for the whole count, not for the first record of each cohort: a lost or late event never gets
            // there, and an event of the other cohort or a second copy past the dedup store overshoots it.
            assertThat(counted.getOrDefault(Cohort.TREATMENT, 0L))
                    .as("every treated event, in the cohort the app served")
                    .isEqualTo((long) TREATED.size() * EVENTS_PER_USER);
            assertThat(counted.getOrDefault(Cohort.CONTROL, 0L))
                    .as("every control event, in the cohort the app served")
                    .isEqualTo((long) (USERS.size() - TREATED.size()) * EVENTS_PER_USER);
        });
    }

    /** How many dead letters this test's own broker holds, by reason code ({@code LATE}: after its window closed). */
    static Map<String, Long> deadLetterCodes(String bootstrap) {
        Map<String, Long> codes = new TreeMap<>();
        for (ConsumerRecord<String, byte[]> r : TopicContents.readAll(bootstrap, Topics.TELEMETRY_DLQ)) {
            Header code = r.headers().lastHeader(DeadLetterHeaders.CODE);
            codes.merge(code == null ? "(none)" : new String(code.value(), StandardCharsets.UTF_8), 1L, Long::sum);
        }
        return codes;
    }

    static SyncEvent.Builder sync(String user, Instant at, String table) {
        return SyncEvent.newBuilder()
                .setUserId(user)
                .setEventTime(at)
                .setSyncKind(SyncKind.OTHER)
                .setTable(table)
                .setSuccess(true)
                .setDurationMs(40);
    }

    /**
     * Sends an event at {@code closer} to every partition of the sync topic, so that every input task passes the
     * queued events' window and it closes now, not when the wall clock catches up with it.
     */
    static void closeEveryPartition(String bootstrap, Instant closer) throws Exception {
        AvroCodec<SyncEvent> codec = AvroCodec.of(SyncEvent.class);
        try (var producer = new KafkaProducer<>(
                Map.<String, Object>of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.ACKS_CONFIG, "all"),
                new StringSerializer(),
                new ByteArraySerializer())) {
            for (PartitionInfo partition : producer.partitionsFor(Topics.TELEMETRY_SYNC)) {
                String client = "closer-" + partition.partition();
                SyncEvent event =
                        TelemetryFixtures.sync(client, closer, true, 1).build();
                // Its record carries the event's time: an event further ahead of its record than the grace period
                // moves stream time only to the record's time (EventTimeExtractor).
                producer.send(new ProducerRecord<>(
                                Topics.TELEMETRY_SYNC,
                                partition.partition(),
                                closer.toEpochMilli(),
                                client,
                                codec.encode(event)))
                        .get();
            }
        }
    }

    static void publish(String bootstrap, String topic, String key, byte[] value) throws Exception {
        try (var producer = new KafkaProducer<>(
                Map.<String, Object>of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.ACKS_CONFIG, "all"),
                new StringSerializer(),
                new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, key, value)).get();
        }
    }

    /** Serves "on" to the users of {@link #TREATED} and "off" to the others, with the flag's version as metadata. */
    static final class ServedByList implements FeatureProvider {
        @Override
        public Metadata getMetadata() {
            return () -> "served-by-list";
        }

        @Override
        public ProviderEvaluation<Boolean> getBooleanEvaluation(
                String key, Boolean defaultValue, EvaluationContext ctx) {
            boolean on = TREATED.contains(ctx.getTargetingKey());
            return ProviderEvaluation.<Boolean>builder()
                    .value(on)
                    .variant(on ? "on" : "off")
                    .reason("TARGETING_MATCH")
                    .flagMetadata(
                            ImmutableMetadata.builder().addLong("version", 1L).build())
                    .build();
        }

        @Override
        public ProviderEvaluation<String> getStringEvaluation(String key, String defaultValue, EvaluationContext ctx) {
            throw new UnsupportedOperationException();
        }

        @Override
        public ProviderEvaluation<Integer> getIntegerEvaluation(
                String key, Integer defaultValue, EvaluationContext ctx) {
            throw new UnsupportedOperationException();
        }

        @Override
        public ProviderEvaluation<Double> getDoubleEvaluation(String key, Double defaultValue, EvaluationContext ctx) {
            throw new UnsupportedOperationException();
        }

        @Override
        public ProviderEvaluation<Value> getObjectEvaluation(String key, Value defaultValue, EvaluationContext ctx) {
            throw new UnsupportedOperationException();
        }
    }
}
