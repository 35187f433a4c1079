package dev.rollguard.ingest.topology;

import static dev.rollguard.ingest.TelemetryFixtures.sync;
import static dev.rollguard.ingest.TelemetryFixtures.upload;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.rollguard.ingest.service.FlagDirectory;
import dev.rollguard.schemas.event.SyncEvent;
import dev.rollguard.schemas.event.UploadEvent;
import dev.rollguard.schemas.event.WindowKind;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import dev.rollguard.schemas.serde.AvroCodec;
import dev.rollguard.schemas.serde.AvroSerde;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Idle time across a broker outage, on the TopologyTestDriver with a reachable clock fed by hand: the probe answers
 * every second while the broker is there and not during the outage. An outage stops the input partitions' idle time
 * and the wall clock's stand-in for their progress, so the events that clients queued during it still count in their
 * windows when they arrive after it; with idle time on the wall clock alone, the same run drops them as late.
 */
class IdleAcrossBrokerOutageTest {

    static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");
    static final Duration SIZE = Duration.ofSeconds(10);
    static final Duration GRACE = Duration.ofSeconds(2);
    static final Duration OUTAGE = Duration.ofSeconds(60);
    static final Duration PROBE = Duration.ofSeconds(1);

    TopologyTestDriver driver;
    BrokerReachability reachability;
    Instant wall = T0;
    TestInputTopic<String, byte[]> syncs;
    TestInputTopic<String, byte[]> uploads;
    TestOutputTopic<String, WindowMetricsEvent> windows;
    TestOutputTopic<String, byte[]> dlq;

    /** The driver's state directory, deleted after each test: nothing in it tells why a test failed. */
    @TempDir
    Path scratch;

    @BeforeAll
    static void countMetrics() {
        if (Metrics.globalRegistry.getRegistries().isEmpty()) {
            Metrics.addRegistry(new SimpleMeterRegistry());
        }
    }

    void start(BrokerReachability reachability) throws Exception {
        this.reachability = reachability;
        TopologySettings settings = TopologySettings.of(TopicNames.DEFAULT, SIZE, GRACE);
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "metrics-ingest-outage-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.STATE_DIR_CONFIG, scratch.toString());
        driver = new TopologyTestDriver(
                TelemetryTopology.build(
                        settings, new FlagDirectory(settings.flagHistoryVersions()), w -> {}, reachability),
                props,
                T0);
        syncs = driver.createInputTopic("telemetry.sync", new StringSerializer(), new ByteArraySerializer());
        uploads = driver.createInputTopic("telemetry.upload", new StringSerializer(), new ByteArraySerializer());
        windows = driver.createOutputTopic(
                "metrics.windows",
                new StringDeserializer(),
                AvroSerde.of(WindowMetricsEvent.class).deserializer());
        dlq = driver.createOutputTopic("telemetry.dlq", new StringDeserializer(), new ByteArrayDeserializer());
        reachability.reached(T0.toEpochMilli());
    }

    @AfterEach
    void stop() {
        if (driver != null) {
            driver.close();
        }
    }

    /** Wall-clock time passes with the broker answering every probe; the tasks punctuate every second. */
    void reachableFor(Duration time) {
        for (long s = 0; s < time.dividedBy(PROBE); s++) {
            wall = wall.plus(PROBE);
            reachability.reached(wall.toEpochMilli());
            driver.advanceWallClockTime(PROBE);
        }
    }

    /** Wall-clock time passes with the broker gone: no probe is answered, the tasks still punctuate. */
    void unreachableFor(Duration time) {
        for (long s = 0; s < time.dividedBy(PROBE); s++) {
            wall = wall.plus(PROBE);
            driver.advanceWallClockTime(PROBE);
        }
    }

    void send(SyncEvent event) {
        syncs.pipeInput(event.getClientId(), AvroCodec.of(SyncEvent.class).encode(event), event.getEventTime());
    }

    void send(UploadEvent event) {
        uploads.pipeInput(event.getClientId(), AvroCodec.of(UploadEvent.class).encode(event), event.getEventTime());
    }

    /**
     * Runs an outage of a minute right after the events at {@link #T0}, with 6 s of idle time before it; the clients
     * deliver what they queued from its first second on 5 s after the broker is back. Returns how many of the queued
     * events were dead-lettered as late.
     */
    int outageWithQueuedEvents() {
        send(sync("c1", T0, true, 100).build());
        send(upload("c2", T0, true, 100, 10).build());
        reachableFor(Duration.ofSeconds(6));
        unreachableFor(OUTAGE);
        reachableFor(Duration.ofSeconds(5));
        List<Instant> queued = List.of(T0.plusSeconds(7), T0.plusSeconds(30), T0.plusSeconds(65));
        for (Instant at : queued) {
            send(sync("queued", at, true, 100).build());
        }
        return dlq.readRecordsToList().size();
    }

    @Test
    void eventsQueuedDuringAnOutageLongerThanTheIdleTimeAreOnTimeWhenTheyArriveAfterIt() throws Exception {
        start(BrokerReachability.probed(PROBE.multipliedBy(3), Duration.ofHours(1)));
        assertThat(outageWithQueuedEvents())
                .as("the windows of the outage stay open: 10 s of reachable time back is before the outage")
                .isZero();

        // The broker back for good and nothing more: idle time runs, and the windows close by the wall clock.
        reachableFor(Duration.ofSeconds(80));
        List<TestRecord<String, WindowMetricsEvent>> closed = windows.readRecordsToList().stream()
                .filter(r -> r.value().getWindowKind() == WindowKind.TUMBLING)
                .filter(r -> r.value().getScopeKey().equals("global"))
                .toList();
        assertThat(closed)
                .extracting(r -> r.value().getWindowStart(), r -> r.value().getEventCount())
                .contains(
                        tuple(T0, 3L),
                        tuple(T0.plus(SIZE.multipliedBy(3)), 1L),
                        tuple(T0.plus(SIZE.multipliedBy(6)), 1L));
        assertThat(dlq.readRecordsToList()).isEmpty();
    }

    @Test
    void theWindowsOfAnOutageCloseOnceTheBrokerHasBeenBackForTheIdleTimeout() throws Exception {
        start(BrokerReachability.probed(PROBE.multipliedBy(3), Duration.ofHours(1)));
        send(sync("c1", T0, true, 100).build());
        send(upload("c2", T0, true, 100, 10).build());
        reachableFor(Duration.ofSeconds(6));
        unreachableFor(OUTAGE);
        // Answers from the first second after the outage on: 9 s of reachable time since it ended.
        reachableFor(Duration.ofSeconds(10));
        send(sync("on-time", T0, true, 100).build());
        assertThat(dlq.readRecordsToList())
                .as("15 s of idle time, yet the stand-in is 10 s of reachable time back, before the outage")
                .isEmpty();

        reachableFor(Duration.ofSeconds(2));
        send(sync("late", T0, true, 100).build());
        assertThat(dlq.readRecordsToList())
                .as("back for 11 s: the stand-in is after the outage and has closed its windows")
                .hasSize(1);
    }

    @Test
    void onTheWallClockAloneTheSameOutageMakesTheQueuedEventsLate() throws Exception {
        start(BrokerReachability.always());
        assertThat(outageWithQueuedEvents())
                .as("the outage counted as silence: the windows up to T0 + 50 s closed before the broker was back")
                .isEqualTo(2);
    }
}
