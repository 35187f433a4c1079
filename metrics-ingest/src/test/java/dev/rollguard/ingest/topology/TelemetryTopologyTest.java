package dev.rollguard.ingest.topology;

import static dev.rollguard.ingest.TelemetryFixtures.exposure;
import static dev.rollguard.ingest.TelemetryFixtures.flag;
import static dev.rollguard.ingest.TelemetryFixtures.globalKill;
import static dev.rollguard.ingest.TelemetryFixtures.sync;
import static dev.rollguard.ingest.TelemetryFixtures.upload;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.assertj.core.api.Assertions.within;

import dev.rollguard.ingest.domain.ClientSampling;
import dev.rollguard.ingest.domain.WindowAggregate;
import dev.rollguard.ingest.service.FlagDirectory;
import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.event.ScopeType;
import dev.rollguard.schemas.event.SyncEvent;
import dev.rollguard.schemas.event.UploadEvent;
import dev.rollguard.schemas.event.WindowKind;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import dev.rollguard.schemas.serde.AvroCodec;
import dev.rollguard.schemas.serde.AvroSerde;
import dev.rollguard.schemas.trace.TraceContext;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyDescription;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole topology on the TopologyTestDriver: decode, validate, dedup, cohorts, windows, dead letters. */
class TelemetryTopologyTest {

    static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");
    static final Duration SIZE = Duration.ofSeconds(10);
    static final Duration GRACE = Duration.ofSeconds(2);

    TopologyTestDriver driver;
    TopologySettings settings;
    TestInputTopic<String, byte[]> syncs;
    TestInputTopic<String, byte[]> uploads;
    TestInputTopic<String, FlagChangedEvent> flags;
    TestOutputTopic<String, WindowMetricsEvent> windows;
    TestOutputTopic<String, byte[]> dlq;
    final List<ProducerRecord<byte[], byte[]>> undecodable = new CopyOnWriteArrayList<>();

    /** The drivers' state directories, deleted after each test: nothing in them tells why a test failed. */
    @TempDir
    Path scratch;

    @BeforeAll
    static void countMetrics() {
        if (Metrics.globalRegistry.getRegistries().isEmpty()) {
            Metrics.addRegistry(new SimpleMeterRegistry());
        }
    }

    @BeforeEach
    void start() throws Exception {
        start(TopologySettings.of(TopicNames.DEFAULT, SIZE, GRACE).withHopping(true, SIZE.multipliedBy(3), SIZE));
    }

    void start(TopologySettings settings) throws Exception {
        start(settings, T0);
    }

    /** Starts the driver with its wall clock (the validator's clock) at {@code wallClock}. */
    void start(TopologySettings settings, Instant wallClock) throws Exception {
        if (driver != null) {
            driver.close();
        }
        this.settings = settings;
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "metrics-ingest-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(
                StreamsConfig.STATE_DIR_CONFIG,
                Files.createTempDirectory(scratch, "ttd").toString());
        props.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandler.class.getName());
        props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, ProcessingDeadLetterHandler.class.getName());
        props.put(DeadLetterHandler.SINK_CONFIG, (DeadLetterSink) undecodable::add);
        driver = new TopologyTestDriver(
                TelemetryTopology.build(settings, new FlagDirectory(settings.flagHistoryVersions())), props, wallClock);
        syncs = driver.createInputTopic("telemetry.sync", new StringSerializer(), new ByteArraySerializer());
        uploads = driver.createInputTopic("telemetry.upload", new StringSerializer(), new ByteArraySerializer());
        flags = driver.createInputTopic(
                "flags.changes",
                new StringSerializer(),
                AvroSerde.of(FlagChangedEvent.class).serializer());
        windows = driver.createOutputTopic(
                "metrics.windows",
                new StringDeserializer(),
                AvroSerde.of(WindowMetricsEvent.class).deserializer());
        dlq = driver.createOutputTopic("telemetry.dlq", new StringDeserializer(), new ByteArrayDeserializer());
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    void send(SyncEvent event) {
        syncs.pipeInput(event.getClientId(), AvroCodec.of(SyncEvent.class).encode(event), event.getEventTime());
    }

    void send(UploadEvent event) {
        uploads.pipeInput(event.getClientId(), AvroCodec.of(UploadEvent.class).encode(event), event.getEventTime());
    }

    void publish(FlagChangedEvent flag) {
        flags.pipeInput(flag.getFlagKey(), flag, flag.getChangedAt());
    }

    /** The input tasks hand their partial windows on, as they do every flush interval of wall-clock time. */
    void flushPartials() {
        driver.advanceWallClockTime(settings.flushInterval());
    }

    /** An event far enough after {@code windowEnd} to close the window at every scope it touches. */
    void closeWindowsUpTo(Instant windowEnd) {
        flushPartials();
        send(sync("closer", windowEnd.plus(GRACE).plusSeconds(1), true, 1).build());
        awaitOtherTopicIdle();
    }

    /**
     * Lets the upload topic, which the closers do not reach, count as idle (an input topic holds the watermark back
     * until then), and hands the partials on.
     */
    void awaitOtherTopicIdle() {
        driver.advanceWallClockTime(settings.idleTimeout());
        flushPartials();
    }

    List<TestRecord<String, WindowMetricsEvent>> emitted(WindowKind kind) {
        flushPartials();
        List<TestRecord<String, WindowMetricsEvent>> result = new ArrayList<>();
        for (var record : windows.readRecordsToList()) {
            if (record.value().getWindowKind() == kind) {
                result.add(record);
            }
        }
        return result;
    }

    static WindowMetricsEvent scope(
            List<TestRecord<String, WindowMetricsEvent>> records, String scopeKey, Instant start) {
        return records.stream()
                .map(TestRecord::value)
                .filter(w ->
                        w.getScopeKey().equals(scopeKey) && w.getWindowStart().equals(start))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no window " + scopeKey + " at " + start + " in " + records));
    }

    @Test
    void closedTumblingWindowCarriesEveryFigureOncePerScope() {
        send(sync("c1", T0.plusSeconds(1), true, 100)
                .setTable("entries")
                .setStorageUsedBytes(50L)
                .setStorageQuotaBytes(200L)
                .setPendingMutations(3)
                .setSyncQueueLength(2)
                .build());
        send(sync("c2", T0.plusSeconds(2), true, 300)
                .setTable("entries")
                .setStorageUsedBytes(100L)
                .setStorageQuotaBytes(200L)
                .setFailedMutations(4)
                .build());
        send(sync("c1", T0.plusSeconds(3), false, 5000)
                .setTable("entries")
                .setErrorCode("QUOTA_EXCEEDED")
                .setErrorMessage("quota hit")
                .build());
        send(upload("c3", T0.plusSeconds(4), true, 2000, 4000).build());

        assertThat(windows.isEmpty())
                .as("nothing is emitted before the window closes")
                .isTrue();
        closeWindowsUpTo(T0.plus(SIZE));

        var tumbling = emitted(WindowKind.TUMBLING);
        WindowMetricsEvent global = scope(tumbling, "global", T0);
        assertThat(global.getScopeType()).isEqualTo(ScopeType.GLOBAL);
        assertThat(global.getWindowEnd()).isEqualTo(T0.plus(SIZE));
        assertThat(global.getEventCount()).isEqualTo(4);
        assertThat(global.getSuccessCount()).isEqualTo(3);
        assertThat(global.getFailureCount()).isEqualTo(1);
        assertThat(global.getSuccessRate()).isCloseTo(0.75, within(1e-9));
        assertThat(global.getErrorRate()).isCloseTo(0.25, within(1e-9));
        assertThat(global.getSyncCount()).isEqualTo(3);
        assertThat(global.getSyncFailureCount()).isEqualTo(1);
        assertThat(global.getSyncSuccessRate()).isCloseTo(2 / 3.0, within(1e-9));
        assertThat(global.getUploadCount()).isEqualTo(1);
        assertThat(global.getUploadFailureRate()).isEqualTo(0.0);
        assertThat(global.getDurationMinMs()).isEqualTo(100.0);
        assertThat(global.getDurationMaxMs()).isEqualTo(5000.0);
        assertThat(global.getDurationAvgMs()).isEqualTo((100 + 300 + 5000 + 2000) / 4.0);
        assertThat(global.getDurationP50Ms()).isCloseTo(300.0, within(300 * 0.01));
        // DDSketch's quantile q is the value of rank floor(q * (n - 1)): with four samples p99 is the third.
        assertThat(global.getDurationP99Ms()).isCloseTo(2000.0, within(2000 * 0.01));
        assertThat(global.getDurationSketch()).isNotNull();
        assertThat(global.getStorageUsedPctMax()).isCloseTo(50.0, within(1e-9));
        assertThat(global.getStorageUsedPctAvg()).isCloseTo(37.5, within(1e-9));
        assertThat(global.getPendingMutationsMax()).isEqualTo(3);
        assertThat(global.getFailedMutationsMax()).isEqualTo(4);
        assertThat(global.getSyncQueueLengthMax()).isEqualTo(2);
        assertThat(global.getQuotaExceededCount()).isEqualTo(1);
        assertThat(global.getDistinctClients()).isEqualTo(3);
        assertThat(global.getUploadBytes()).isEqualTo(4000);
        assertThat(global.getUploadThroughputBytesPerSec()).isCloseTo(2000.0, within(1e-9));
        assertThat(global.getTopErrors()).singleElement().satisfies(e -> {
            assertThat(e.getCode()).isEqualTo("QUOTA_EXCEEDED");
            assertThat(e.getCount()).isEqualTo(1);
            assertThat(e.getLastMessage()).isEqualTo("quota hit");
        });
        assertThat(global.getFirstEventTime()).isEqualTo(T0.plusSeconds(1));

        WindowMetricsEvent table = scope(tumbling, "table:entries", T0);
        assertThat(table.getScopeType()).isEqualTo(ScopeType.TABLE);
        assertThat(table.getTable()).isEqualTo("entries");
        assertThat(table.getEventCount()).isEqualTo(3);
        WindowMetricsEvent web = scope(tumbling, "platform:WEB", T0);
        assertThat(web.getEventCount()).isEqualTo(3);
        assertThat(scope(tumbling, "platform:IOS", T0).getEventCount()).isEqualTo(1);

        assertThat(tumbling.stream().filter(r -> r.value().getWindowStart().equals(T0)))
                .as("each scope's window is emitted exactly once")
                .extracting(r -> r.value().getScopeKey())
                .doesNotHaveDuplicates()
                .containsExactlyInAnyOrder("global", "table:entries", "platform:WEB", "platform:IOS");
        assertThat(tumbling)
                .filteredOn(r -> r.value().getScopeKey().equals("global"))
                .singleElement()
                .satisfies(r -> assertThat(r.key()).isEqualTo("global"));
    }

    @Test
    void failedEventsThatCameWithRequestIdsBecomeTheWindowsExemplarsEarliestFirst() {
        String trace = "4bf92f3577b34da6a3ce929d0e0e4736";
        sendTraced(sync("c1", T0.plusSeconds(5), false, 100).build(), "req-late", trace);
        sendTraced(sync("c2", T0.plusSeconds(1), true, 100).build(), "req-healthy", trace);
        sendTraced(sync("c3", T0.plusSeconds(2), false, 100).build(), "req-first", "not a traceparent");
        send(sync("c4", T0.plusSeconds(1), false, 100).build());
        for (int i = 0; i < WindowAggregate.MAX_EXEMPLARS; i++) {
            sendTraced(sync("c" + (10 + i), T0.plusSeconds(6), false, 100).build(), "req-more-" + i, trace);
        }

        closeWindowsUpTo(T0.plus(SIZE));

        var tumbling = emitted(WindowKind.TUMBLING);
        WindowMetricsEvent global = scope(tumbling, "global", T0);
        assertThat(global.getExemplars()).hasSize(WindowAggregate.MAX_EXEMPLARS);
        assertThat(global.getExemplars())
                .extracting(e -> e.getRequestId())
                .as("failures only, earliest first, none without ids")
                .startsWith("req-first", "req-late")
                .doesNotContain("req-healthy");
        assertThat(global.getExemplars().get(0).getTraceId())
                .as("a malformed traceparent names no trace")
                .isNull();
        assertThat(global.getExemplars().get(1).getTraceId()).isEqualTo(trace);
        assertThat(global.getExemplars().get(1).getEventTime()).isEqualTo(T0.plusSeconds(5));
        assertThat(scope(tumbling, "platform:WEB", T0).getExemplars())
                .extracting(e -> e.getRequestId())
                .startsWith("req-first", "req-late");
    }

    void sendTraced(SyncEvent event, String requestId, String traceparentTraceId) {
        var headers = new org.apache.kafka.common.header.internals.RecordHeaders();
        headers.add(TraceContext.REQUEST_ID, requestId.getBytes(StandardCharsets.UTF_8));
        headers.add(
                TraceContext.TRACEPARENT,
                ("00-" + traceparentTraceId + "-00f067aa0ba902b7-01").getBytes(StandardCharsets.UTF_8));
        syncs.pipeInput(new TestRecord<>(
                event.getClientId(), AvroCodec.of(SyncEvent.class).encode(event), headers, event.getEventTime()));
    }

    @Test
    void partialWindowsHandedOnAtAnyMomentMergeIntoTheSameWindows() throws Exception {
        List<SpecificRecord> events = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            Instant at = T0.plusMillis(400L * i);
            events.add(
                    i % 3 == 0
                            ? upload("u" + (i % 5), at, i % 4 != 0, 50L * i + 7, 1000L * i)
                                    .build()
                            : sync("s" + (i % 7), at, i % 5 != 0, 30L * i + 1)
                                    .setTable(i % 2 == 0 ? "entries" : "photos")
                                    .setPendingMutations(i)
                                    .setStorageUsedBytes(10L * i)
                                    .setStorageQuotaBytes(1000L)
                                    .setErrorCode(i % 5 != 0 ? null : "E" + (i % 3))
                                    .build());
        }
        List<WindowMetricsEvent> once = windowsOf(events, Integer.MAX_VALUE);
        start();
        List<WindowMetricsEvent> everyEvent = windowsOf(events, 1);
        start();
        List<WindowMetricsEvent> everyFive = windowsOf(events, 5);

        assertThat(once).extracting(WindowMetricsEvent::getScopeKey).contains("global", "table:photos", "platform:IOS");
        assertThat(scopeOf(once, "global").getEventCount()).isEqualTo(24);
        assertThat(everyEvent).isEqualTo(once);
        assertThat(everyFive).isEqualTo(once);
    }

    /** The tumbling windows at T0 from {@code events}, the partials handed on after every {@code flushEvery}. */
    List<WindowMetricsEvent> windowsOf(List<SpecificRecord> events, int flushEvery) {
        for (int i = 0; i < events.size(); i++) {
            if (events.get(i) instanceof SyncEvent sync) {
                send(sync);
            } else {
                send((UploadEvent) events.get(i));
            }
            if ((i + 1) % flushEvery == 0) {
                flushPartials();
            }
        }
        closeWindowsUpTo(T0.plus(SIZE));
        return emitted(WindowKind.TUMBLING).stream()
                .map(TestRecord::value)
                .filter(w -> w.getWindowStart().equals(T0))
                // The sketch's encoding depends on how its bins grew; its quantiles are compared instead.
                .map(w -> WindowMetricsEvent.newBuilder(w)
                        .setEmittedAt(Instant.EPOCH)
                        .setDurationSketch(null)
                        .build())
                .sorted(java.util.Comparator.comparing(WindowMetricsEvent::getScopeKey))
                .toList();
    }

    static WindowMetricsEvent scopeOf(List<WindowMetricsEvent> windows, String scopeKey) {
        return windows.stream()
                .filter(w -> w.getScopeKey().equals(scopeKey))
                .findFirst()
                .orElseThrow();
    }

    @Test
    void exposuresReportedByTheClientDecideTheCohort() {
        publish(flag("new-sync", 1, T0.minusSeconds(60), 9_900).build());
        send(sync("c1", T0.plusSeconds(1), true, 100)
                .setExposures(List.of(exposure("new-sync", "on", true)))
                .build());
        send(sync("c2", T0.plusSeconds(2), false, 100)
                .setExposures(List.of(exposure("new-sync", "off", false)))
                .build());
        // No treated flag: the variant is compared with the flag's treatment variant.
        send(sync("c3", T0.plusSeconds(3), false, 100)
                .setExposures(List.of(exposure("new-sync", "on", null)))
                .build());
        // The client's report wins over the flag's own targeting (which puts 99 % in treatment).
        send(sync("c4", T0.plusSeconds(4), true, 100)
                .setExposures(List.of(exposure("new-sync", "off", null)))
                .build());
        closeWindowsUpTo(T0.plus(SIZE));

        var tumbling = emitted(WindowKind.TUMBLING);
        WindowMetricsEvent treatment = scope(tumbling, "flag:new-sync:treatment", T0);
        WindowMetricsEvent control = scope(tumbling, "flag:new-sync:control", T0);
        assertThat(treatment.getScopeType()).isEqualTo(ScopeType.FLAG_COHORT);
        assertThat(treatment.getFlagKey()).isEqualTo("new-sync");
        assertThat(treatment.getCohort()).isEqualTo(Cohort.TREATMENT);
        assertThat(treatment.getEventCount()).isEqualTo(2);
        assertThat(treatment.getFailureCount()).isEqualTo(1);
        assertThat(control.getCohort()).isEqualTo(Cohort.CONTROL);
        assertThat(control.getEventCount()).isEqualTo(2);
        assertThat(tumbling)
                .filteredOn(r -> r.value().getScopeType() == ScopeType.FLAG_COHORT)
                .extracting(TestRecord::key)
                .as("both cohorts of a flag share the record key flag:<key>")
                .containsOnly("flag:new-sync");
    }

    @Test
    void withoutExposuresTheFlagIsEvaluatedAsOfTheEventTime() {
        // Version 1: only alice (allow-list); version 2 from T0+5s: 99 % (bob and c-anon among them).
        publish(flag("bulk-upload", 1, T0.minusSeconds(60), 0)
                .setAllowList(List.of("alice"))
                .build());
        publish(flag("bulk-upload", 2, T0.plusSeconds(5), 9_900).build());
        assertThat(dev.rollguard.schemas.bucketing.Bucketing.inRollout("bulk-upload", "bob", 9_900))
                .isTrue();
        assertThat(dev.rollguard.schemas.bucketing.Bucketing.inRollout("bulk-upload", "c-anon", 9_900))
                .isTrue();

        send(sync("c-alice", T0.plusSeconds(1), true, 100).setUserId("alice").build());
        send(sync("c-bob", T0.plusSeconds(2), true, 100).setUserId("bob").build());
        // Processed after version 2 arrived, but timed before it: still version 1, so bob is control.
        send(sync("c-bob", T0.plusSeconds(4), true, 100).setUserId("bob").build());
        send(sync("c-bob", T0.plusSeconds(6), true, 100).setUserId("bob").build());
        // No user: the client id is the subject.
        send(sync("c-anon", T0.plusSeconds(7), true, 100).build());
        closeWindowsUpTo(T0.plus(SIZE));

        var tumbling = emitted(WindowKind.TUMBLING);
        assertThat(scope(tumbling, "flag:bulk-upload:treatment", T0).getEventCount())
                .isEqualTo(3);
        assertThat(scope(tumbling, "flag:bulk-upload:control", T0).getEventCount())
                .isEqualTo(2);
    }

    @Test
    void percentageRolloutBucketsUsersLikeTheFlagService() {
        publish(flag("half", 1, T0.minusSeconds(60), 5_000).build());
        int treated = 0;
        for (int i = 0; i < 200; i++) {
            String user = "user-" + i;
            if (dev.rollguard.schemas.bucketing.Bucketing.inRollout("half", user, 5_000)) {
                treated++;
            }
            send(sync("c-" + i, T0.plusMillis(i * 10L), true, 10)
                    .setUserId(user)
                    .build());
        }
        closeWindowsUpTo(T0.plus(SIZE));

        var tumbling = emitted(WindowKind.TUMBLING);
        assertThat(treated).isBetween(60, 140);
        assertThat(scope(tumbling, "flag:half:treatment", T0).getEventCount()).isEqualTo(treated);
        assertThat(scope(tumbling, "flag:half:control", T0).getEventCount()).isEqualTo(200 - treated);
        assertThat(scope(tumbling, "flag:half:treatment", T0).getDistinctClients())
                .isEqualTo(treated);
    }

    @Test
    void theGlobalKillSwitchEndsEveryCohortFromItsTime() {
        publish(flag("almost-everyone", 1, T0.minusSeconds(60), 9_900).build());
        publish(globalKill(1, T0.plusSeconds(5), true));
        assertThat(dev.rollguard.schemas.bucketing.Bucketing.inRollout("almost-everyone", "c1", 9_900))
                .isTrue();
        send(sync("c1", T0.plusSeconds(1), true, 100).build());
        // After the kill every flag is off for everyone: nothing is rolled out, so no cohort counts the event,
        // whether its client says it was exposed or not.
        send(sync("c1", T0.plusSeconds(6), true, 100).build());
        send(sync("c2", T0.plusSeconds(7), true, 100)
                .setExposures(List.of(exposure("almost-everyone", "on", true)))
                .build());
        closeWindowsUpTo(T0.plus(SIZE));

        var tumbling = emitted(WindowKind.TUMBLING);
        assertThat(scope(tumbling, "flag:almost-everyone:treatment", T0).getEventCount())
                .isEqualTo(1);
        assertThat(scope(tumbling, "global", T0).getEventCount()).isEqualTo(3);
        assertThat(tumbling)
                .noneMatch(r -> r.value().getScopeKey().equals("flag:almost-everyone:control")
                        && r.value().getEventCount() > 0);
    }

    @Test
    void onlyFlagsUnderRolloutGetCohortScopesWithOrWithoutExposures() {
        publish(flag("ramping", 1, T0.minusSeconds(60), 5_000).build());
        publish(flag("full", 1, T0.minusSeconds(60), 10_000).build());
        publish(flag("nobody", 1, T0.minusSeconds(60), 0).build());
        publish(flag("switched-off", 1, T0.minusSeconds(60), 5_000)
                .setEnabled(false)
                .build());
        publish(flag("killed", 1, T0.minusSeconds(60), 5_000).setKilled(true).build());
        publish(flag("archived", 1, T0.minusSeconds(60), 5_000)
                .setArchived(true)
                .build());
        publish(flag("internal-only", 1, T0.minusSeconds(60), 0)
                .setAllowList(List.of("alice"))
                .build());
        List<String> all = List.of("ramping", "full", "nobody", "switched-off", "killed", "archived", "internal-only");
        double scopesBefore = cohortScopesRecorded();

        send(sync("c-evaluated", T0.plusSeconds(1), true, 100).setUserId("bob").build());
        send(sync("c-exposed", T0.plusSeconds(2), true, 100)
                .setExposures(all.stream().map(key -> exposure(key, "on", true)).toList())
                .build());
        double scopesCounted = cohortScopesRecorded() - scopesBefore;
        closeWindowsUpTo(T0.plus(SIZE));

        var tumbling = emitted(WindowKind.TUMBLING);
        assertThat(tumbling)
                .filteredOn(r -> r.value().getScopeType() == ScopeType.FLAG_COHORT
                        && r.value().getEventCount() > 0)
                .extracting(r -> r.value().getFlagKey())
                .as("a disabled, killed, archived, 0 % or 100 % flag costs nothing per event")
                .containsOnly("ramping", "internal-only");
        assertThat(scopesCounted)
                .as("cohort scopes counted per event: 2 for the evaluated event, 2 for the exposed one")
                .isEqualTo(4);
    }

    private static double cohortScopesRecorded() {
        var summary = io.micrometer.core.instrument.Metrics.globalRegistry
                .find("rollguard.ingest.cohort.scopes")
                .summary();
        return summary == null ? 0 : summary.totalAmount();
    }

    @Test
    void lateEventsCountWithinTheGracePeriodAndAreDroppedAfterTheWindowClosed() {
        send(sync("c1", T0.plusSeconds(1), true, 100).build());
        // Stream time moves past the window end but not past end + grace: a late event still counts.
        send(sync("c2", T0.plus(SIZE).plusSeconds(1), true, 100).build());
        send(sync("c3", T0.plusSeconds(9), true, 100).build());
        assertThat(emitted(WindowKind.TUMBLING)).isEmpty();

        closeWindowsUpTo(T0.plus(SIZE));
        var first = emitted(WindowKind.TUMBLING);
        assertThat(scope(first, "global", T0).getEventCount()).isEqualTo(2);

        // After the close the window is final: a later straggler is not counted and nothing is re-emitted; it goes to
        // the dead-letter topic with the code LATE.
        double lateBefore = lateEvents();
        dlq.readRecordsToList();
        send(sync("c4", T0.plusSeconds(2), true, 100).build());
        assertThat(lateEvents() - lateBefore).isEqualTo(1.0);
        var late = dlq.readRecordsToList();
        assertThat(late).hasSize(1);
        assertThat(late.get(0).key()).isEqualTo("c4");
        assertThat(DeadLetterHeaders.read(late.get(0).headers(), DeadLetterHeaders.CODE))
                .isEqualTo("LATE");
        assertThat(DeadLetterHeaders.read(late.get(0).headers(), DeadLetterHeaders.STAGE))
                .isEqualTo(DeadLetterHeaders.STAGE_LATENESS);
        closeWindowsUpTo(T0.plus(SIZE.multipliedBy(3)));
        var later = emitted(WindowKind.TUMBLING);
        assertThat(later).noneMatch(r -> r.value().getWindowStart().equals(T0));
        assertThat(scope(later, "global", T0.plus(SIZE)).getEventCount()).isEqualTo(2);
    }

    @Test
    void aClientClockRunningAheadClosesNoWindowAndCountsInItsOwnWindow() {
        send(sync("c1", T0.plusSeconds(1), true, 100).build());
        // Four minutes ahead of the broker's time (within the allowed clock skew, far beyond the grace period).
        SyncEvent fast = sync("fast-clock", T0.plusSeconds(240), true, 100).build();
        syncs.pipeInput(fast.getClientId(), AvroCodec.of(SyncEvent.class).encode(fast), T0.plusSeconds(2));
        send(sync("c2", T0.plusSeconds(3), true, 100).build());
        assertThat(emitted(WindowKind.TUMBLING))
                .as("the fast clock moved stream time only to its record's time")
                .isEmpty();

        closeWindowsUpTo(T0.plus(SIZE));
        assertThat(scope(emitted(WindowKind.TUMBLING), "global", T0).getEventCount())
                .as("both on-time events counted, nothing late")
                .isEqualTo(2);
        assertThat(dlq.readRecordsToList()).isEmpty();

        closeWindowsUpTo(T0.plusSeconds(250));
        assertThat(scope(emitted(WindowKind.TUMBLING), "global", T0.plusSeconds(240))
                        .getEventCount())
                .as("the fast event is counted in the window of its own time")
                .isEqualTo(1);
    }

    @Test
    void aClientProducingWithItsOwnFastClockMakesNoOtherClientLate() throws Exception {
        // Times of now (the instance's clock): a client producing to Kafka itself stamps its records with its own
        // clock, four minutes fast.
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        start(settings, now);
        send(sync("c1", now, true, 100).build());
        SyncEvent fast = sync("fast-clock", now.plusSeconds(240), true, 100).build();
        syncs.pipeInput(fast.getClientId(), AvroCodec.of(SyncEvent.class).encode(fast), now.plusSeconds(240));
        send(sync("c2", now.plusSeconds(3), true, 100).build());
        flushPartials();

        assertThat(dlq.readRecordsToList())
                .as("no event of another client turned late")
                .isEmpty();
        assertThat(emitted(WindowKind.TUMBLING))
                .as("the fast clock closed no window: stream time moved only to this instance's time")
                .isEmpty();
    }

    @Test
    void aDeadLetterForAHugeAttributeNameStaysSmallAndTheOthersAreCounted() {
        // Produced to Kafka directly (no HTTP limits): a 600 000-character attribute name whose value holds a control
        // character. The reason naming it must not make the dead letter larger than the broker takes.
        String huge = "a".repeat(600_000);
        SyncEvent bad = sync("bad", T0.plusSeconds(1), true, 100)
                .setContext(Map.of(huge, "x\u0001"))
                .build();
        send(bad);
        send(sync("c1", T0.plusSeconds(2), true, 100).build());

        var dead = dlq.readRecordsToList();
        assertThat(dead).hasSize(1);
        String reason = DeadLetterHeaders.read(dead.get(0).headers(), DeadLetterHeaders.REASON);
        assertThat(reason.getBytes(StandardCharsets.UTF_8).length)
                .isLessThanOrEqualTo(DeadLetterHeaders.MAX_REASON_BYTES);
        assertThat(reason).startsWith("context." + "a".repeat(64) + "…");
        closeWindowsUpTo(T0.plus(SIZE));
        assertThat(scope(emitted(WindowKind.TUMBLING), "global", T0).getEventCount())
                .isEqualTo(1);
    }

    @Test
    void silenceClosesWindowsByTheWallClockWithEmptyWindowsForTheExpectedScopes() {
        publish(flag("ramping", 1, T0.minusSeconds(60), 1_000).build());
        publish(flag("everyone", 1, T0.minusSeconds(60), 10_000).build());
        send(sync("c1", T0.plusSeconds(1), true, 100).build());
        assertThat(emitted(WindowKind.TUMBLING)).isEmpty();

        // No event at all any more: the wall clock passes end + grace + idle timeout of the next two windows.
        Duration idle = settings.idleTimeout();
        driver.advanceWallClockTime(SIZE.multipliedBy(3).plus(GRACE).plus(idle));
        var closed = emitted(WindowKind.TUMBLING);

        assertThat(scope(closed, "global", T0).getEventCount()).isEqualTo(1);
        for (Instant start : List.of(T0.plus(SIZE), T0.plus(SIZE.multipliedBy(2)))) {
            assertThat(scope(closed, "global", start).getEventCount()).isZero();
            assertThat(scope(closed, "flag:ramping:treatment", start).getEventCount())
                    .isZero();
            assertThat(scope(closed, "flag:ramping:control", start).getEventCount())
                    .isZero();
            assertThat(scope(closed, "flag:ramping:treatment", start).getClientMoments())
                    .as("the stage travels with an empty cohort window, so the guard can call it NO_DATA")
                    .singleElement()
                    .satisfies(m -> {
                        assertThat(m.getStageVersion()).isEqualTo(1L);
                        assertThat(m.getClients()).isZero();
                        assertThat(m.getSumX()).isZero();
                    });
        }
        assertThat(closed)
                .as("a flag at 100 % has no cohorts to compare: it has no cohort scope at all")
                .noneMatch(r -> r.value().getScopeKey().startsWith("flag:everyone"));
        assertThat(closed)
                .as("each window emitted once")
                .extracting(r -> r.value().getScopeKey() + "@" + r.value().getWindowStart())
                .doesNotHaveDuplicates();
    }

    @Test
    void aTaskThatHasReadNothingSinceItStartedJudgesItsBacklogByStreamTimeNotByTheWallClock() {
        // A restarted instance: its wall clock is well past the backlog waiting in the topics, and it punctuates
        // before its first record is fetched.
        Duration idle = settings.idleTimeout();
        flushPartials();
        driver.advanceWallClockTime(idle.multipliedBy(TelemetryProcessor.STARTUP_IDLE_FACTOR - 1));
        Instant backlog = T0.minusSeconds(60);
        send(sync("c1", backlog, true, 100).build());
        send(upload("c2", backlog.plusSeconds(1), true, 100, 1000).build());
        assertThat(dlq.readRecordsToList()).as("the backlog is not late").isEmpty();

        closeWindowsUpTo(backlog.plus(SIZE));
        assertThat(scope(emitted(WindowKind.TUMBLING), "global", backlog).getEventCount())
                .isEqualTo(2);
    }

    @Test
    void aTaskThatReadNothingSinceItStartedLetsTheWallClockCloseWindowsAfterTheStartupIdleTime() {
        Duration idle = settings.idleTimeout();
        flushPartials();
        driver.advanceWallClockTime(idle.multipliedBy(TelemetryProcessor.STARTUP_IDLE_FACTOR));
        // The task announced a watermark from the wall clock: an event of a minute ago is late now.
        send(sync("c1", T0.minusSeconds(60), true, 100).build());
        var late = dlq.readRecordsToList();
        assertThat(late).hasSize(1);
        assertThat(DeadLetterHeaders.read(late.get(0).headers(), DeadLetterHeaders.CODE))
                .isEqualTo("LATE");
    }

    @Test
    void flagCohortWindowsCarryTheIncrementsOfTheClientLevelSumsOfTheStage() {
        publish(flag("ramping", 7, T0.minusSeconds(60), 5_000).build());
        // Window 1: treated client a fails 2 of 3 syncs, treated b 0 of 1; control c fails 1 of 2.
        sendSync("a", 1, false, 100, true);
        sendSync("a", 2, false, 200, true);
        sendSync("a", 3, true, 3_000, true);
        sendSync("b", 4, true, 50, true);
        sendSync("c", 5, false, 100, false);
        sendSync("c", 6, true, 100, false);
        closeWithoutTheFlag(T0.plus(SIZE));
        var first = emitted(WindowKind.TUMBLING);
        // Y = failures, X = events: clients (2, 3) and (0, 1).
        assertMoment(scope(first, "flag:ramping:treatment", T0), "failure", 2, 2, 4, 4, 10, 6);
        assertMoment(scope(first, "flag:ramping:control", T0), "failure", 1, 1, 2, 1, 4, 2);
        // One of a's syncs (3 s) is slower than the 2 263 ms rung (k = 9) of the duration ladder.
        assertMoment(scope(first, "flag:ramping:treatment", T0), "sync-duration@9", 2, 1, 4, 1, 10, 3);
        assertThat(scope(first, "global", T0).getClientMoments())
                .as("only flag cohorts under rollout carry moments")
                .isEmpty();

        // Window 2: a fails once more (now (3, 4)): the increments are those of the squares, not of the window alone.
        sendSync("a", 11, false, 100, true);
        closeWithoutTheFlag(T0.plus(SIZE.multipliedBy(2)));
        var second = emitted(WindowKind.TUMBLING);
        assertMoment(scope(second, "flag:ramping:treatment", T0.plus(SIZE)), "failure", 0, 1, 1, 9 - 4, 16 - 9, 12 - 6);
    }

    /** Closes the windows with an event that reports the exposure of another flag only, so it is not in the cohorts. */
    void closeWithoutTheFlag(Instant windowEnd) {
        flushPartials();
        send(sync("closer", windowEnd.plus(GRACE).plusSeconds(1), true, 1)
                .setExposures(List.of(exposure("unrelated", "on", true)))
                .build());
        awaitOtherTopicIdle();
    }

    void sendSync(String client, int second, boolean success, long durationMs, boolean treated) {
        send(sync(client, T0.plusSeconds(second), success, durationMs)
                .setExposures(List.of(exposure("ramping", treated ? "on" : "off", treated)))
                .build());
    }

    static void assertMoment(
            WindowMetricsEvent window,
            String metric,
            long clients,
            double sumY,
            double sumX,
            double sumYY,
            double sumXX,
            double sumXY) {
        var moment = window.getClientMoments().stream()
                .filter(m -> m.getMetric().equals(metric))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no moment " + metric + " in " + window.getClientMoments()));
        assertThat(moment.getStageVersion()).isEqualTo(7);
        assertThat(List.of(
                        (double) moment.getClients(),
                        moment.getSumY(),
                        moment.getSumX(),
                        moment.getSumYY(),
                        moment.getSumXX(),
                        moment.getSumXY()))
                .as("clients, sumY, sumX, sumYY, sumXX, sumXY of %s", metric)
                .containsExactly((double) clients, sumY, sumX, sumYY, sumXX, sumXY);
    }

    static double lateEvents() {
        return Metrics.globalRegistry.find("rollguard.ingest.late.events").counters().stream()
                .mapToDouble(c -> c.count())
                .sum();
    }

    static double events(String kind, String outcome) {
        var counter = Metrics.globalRegistry
                .find("rollguard.ingest.events")
                .tag("kind", kind)
                .tag("outcome", outcome)
                .counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void anInvalidADuplicateALateAndAValidEventEachMeetTheirOwnFate() {
        send(sync("c1", T0.plusSeconds(1), true, 100).build());
        closeWindowsUpTo(T0.plus(SIZE));
        emitted(WindowKind.TUMBLING);
        dlq.readRecordsToList();
        double invalidBefore = events("sync", "invalid");
        double duplicateBefore = events("sync", "duplicate");
        double acceptedBefore = events("sync", "accepted");
        double lateBefore = lateEvents();

        SyncEvent valid = sync("c2", T0.plus(SIZE).plusSeconds(4), true, 100).build();
        List<TestRecord<String, byte[]>> batch = new ArrayList<>();
        for (SyncEvent event : List.of(
                sync("c3", T0.plus(SIZE).plusSeconds(4), true, -5).build(),
                valid,
                valid,
                sync("c4", T0.plusSeconds(3), true, 100).build())) {
            batch.add(new TestRecord<>(
                    event.getClientId(), AvroCodec.of(SyncEvent.class).encode(event), event.getEventTime()));
        }
        syncs.pipeRecordList(batch);

        var dead = dlq.readRecordsToList();
        assertThat(dead)
                .extracting(
                        TestRecord::key,
                        r -> DeadLetterHeaders.read(r.headers(), DeadLetterHeaders.STAGE),
                        r -> DeadLetterHeaders.read(r.headers(), DeadLetterHeaders.CODE),
                        r -> DeadLetterHeaders.read(r.headers(), DeadLetterHeaders.SOURCE_OFFSET))
                .containsExactly(
                        tuple("c3", DeadLetterHeaders.STAGE_VALIDATION, "NEGATIVE_VALUE", "2"),
                        tuple("c4", DeadLetterHeaders.STAGE_LATENESS, "LATE", "5"));
        assertThat(AvroCodec.of(SyncEvent.class).decode(dead.get(1).value()).getClientId())
                .isEqualTo("c4");
        assertThat(events("sync", "invalid") - invalidBefore).isEqualTo(1.0);
        assertThat(events("sync", "duplicate") - duplicateBefore).isEqualTo(1.0);
        // The late event was seen for the first time, so it is accepted by dedup before it is refused as late.
        assertThat(events("sync", "accepted") - acceptedBefore).isEqualTo(2.0);
        assertThat(lateEvents() - lateBefore).isEqualTo(1.0);

        closeWindowsUpTo(T0.plus(SIZE.multipliedBy(2)));
        assertThat(scope(emitted(WindowKind.TUMBLING), "global", T0.plus(SIZE)).getEventCount())
                .as("the valid event once, and the closer of the first window")
                .isEqualTo(2);
        assertThat(dlq.readRecordsToList()).isEmpty();
    }

    /**
     * Validation comes before dedup: a refused event's id is not remembered, so the client's corrected retry under the
     * same id is counted rather than dropped as a duplicate of an event that was never counted.
     */
    @Test
    void anInvalidEventsIdIsNotTakenSoItsCorrectedRetryIsCounted() {
        send(sync("c1", T0.plusSeconds(1), true, 100).setEventId("retried").build());
        double acceptedBefore = events("sync", "accepted");
        double duplicateBefore = events("sync", "duplicate");
        dlq.readRecordsToList();

        send(sync("c2", T0.plusSeconds(2), true, -5).setEventId("corrected").build());
        send(sync("c2", T0.plusSeconds(2), true, 100).setEventId("corrected").build());

        assertThat(dlq.readRecordsToList())
                .extracting(r -> DeadLetterHeaders.read(r.headers(), DeadLetterHeaders.CODE))
                .containsExactly("NEGATIVE_VALUE");
        assertThat(events("sync", "accepted") - acceptedBefore).isEqualTo(1.0);
        assertThat(events("sync", "duplicate") - duplicateBefore).isEqualTo(0.0);
        closeWindowsUpTo(T0.plus(SIZE));
        assertThat(scope(emitted(WindowKind.TUMBLING), "global", T0).getEventCount())
                .as("the first event and the corrected retry")
                .isEqualTo(2);
    }

    /**
     * The nodes between the telemetry sources and the first node with state: every event passes each of them, and the
     * hand-over between nodes is a share of an event's cost.
     */
    @Test
    void oneProcessorNodeValidatesDeduplicatesTimesAndPreAggregatesEachEvent() {
        var description = TelemetryTopology.build(settings, new FlagDirectory(settings.flagHistoryVersions()))
                .describe();
        var subtopology = description.subtopologies().stream()
                .filter(s -> s.nodes().stream().anyMatch(n -> n.name().equals("telemetry-sync")))
                .findFirst()
                .orElseThrow();
        List<String> stateful = subtopology.nodes().stream()
                .filter(n -> n instanceof TopologyDescription.Processor p
                        && !p.stores().isEmpty())
                .map(TopologyDescription.Node::name)
                .toList();
        assertThat(stateful).containsExactly(TelemetryTopology.EVENTS_NODE);
        var events = (TopologyDescription.Processor) subtopology.nodes().stream()
                .filter(n -> n.name().equals(TelemetryTopology.EVENTS_NODE))
                .findFirst()
                .orElseThrow();
        assertThat(events.stores())
                .containsExactlyInAnyOrder(DedupStore.STORE, TelemetryProcessor.STORE, ClientStageStore.STORE);
        for (String source : List.of("telemetry-sync", "telemetry-upload")) {
            var path = new ArrayList<String>();
            var node = subtopology.nodes().stream()
                    .filter(n -> n.name().equals(source))
                    .findFirst()
                    .orElseThrow();
            while (!node.name().equals(TelemetryTopology.EVENTS_NODE)) {
                assertThat(node.successors())
                        .as("the successors of %s", node.name())
                        .hasSize(1);
                node = node.successors().iterator().next();
                path.add(node.name());
            }
            assertThat(path)
                    .as("the nodes after %s", source)
                    .containsExactly("telemetry", TelemetryTopology.EVENTS_NODE);
        }
        assertThat(description.subtopologies())
                .as("the input tasks and the merge tasks, numbered as before, so their tasks keep their state")
                .extracting(TopologyDescription.Subtopology::id)
                .containsExactlyInAnyOrder(1, 2);
        assertThat(subtopology.id()).isEqualTo(1);
    }

    @Test
    void duplicatesWithinTheHorizonCountOnce() throws Exception {
        start(TopologySettings.of(TopicNames.DEFAULT, SIZE, GRACE).withDedupHorizon(Duration.ofMinutes(1)));
        SyncEvent event = sync("c1", T0.plusSeconds(1), true, 100).build();
        send(event);
        send(event);
        send(SyncEvent.newBuilder(event).setEventTime(T0.plusSeconds(3)).build());
        // The same id on the other topic is another event.
        send(upload("c1", T0.plusSeconds(2), true, 100, 10)
                .setEventId(event.getEventId())
                .build());
        closeWindowsUpTo(T0.plus(SIZE));
        assertThat(scope(emitted(WindowKind.TUMBLING), "global", T0).getEventCount())
                .isEqualTo(2);

        // Beyond the horizon the id is forgotten: a retry two minutes later counts again.
        send(SyncEvent.newBuilder(event)
                .setEventTime(T0.plus(Duration.ofMinutes(2)).plusSeconds(1))
                .build());
        closeWindowsUpTo(T0.plus(Duration.ofMinutes(2)).plus(SIZE));
        assertThat(scope(emitted(WindowKind.TUMBLING), "global", T0.plus(Duration.ofMinutes(2)))
                        .getEventCount())
                .isEqualTo(1);
    }

    @Test
    void theDedupStoreLogsTheIdsOfACommitAsOneRecordAndNoneForADuplicate() throws Exception {
        start(TopologySettings.of(TopicNames.DEFAULT, SIZE, GRACE).withDedupHorizon(Duration.ofMinutes(1)));
        TestOutputTopic<byte[], byte[]> changelog = driver.createOutputTopic(
                "metrics-ingest-test-dedup-store-changelog", new ByteArrayDeserializer(), new ByteArrayDeserializer());
        SyncEvent first = sync("c1", T0.plusSeconds(1), true, 100).build();
        send(first);
        send(first);
        UploadEvent second = upload("c2", T0.plusSeconds(2), true, 100, 10).build();
        send(second);

        // The test driver commits after every input record: one batch record per commit that saw a new id.
        List<TestRecord<byte[], byte[]>> records = changelog.readRecordsToList();
        List<String> logged = new ArrayList<>();
        for (var record : records) {
            assertThat(DedupBatch.isBatch(record.key())).isTrue();
            DedupBatch.read(
                    record.value(),
                    (id, time) ->
                            logged.add(new String(id, StandardCharsets.UTF_8) + "@" + Instant.ofEpochMilli(time)));
        }
        assertThat(logged)
                .containsExactly(
                        "s:" + first.getEventId() + "@" + first.getEventTime(),
                        "u:" + second.getEventId() + "@" + second.getEventTime());
        assertThat(records).hasSize(2);
    }

    @Test
    void undecodableRecordsGoToTheDeadLetterTopicAndProcessingContinues() {
        syncs.pipeInput("c1", "not avro".getBytes(StandardCharsets.UTF_8), T0);
        byte[] truncated = AvroCodec.of(UploadEvent.class)
                .encode(upload("c2", T0, true, 1, 1).build());
        uploads.pipeInput("c2", java.util.Arrays.copyOf(truncated, 12), T0);
        send(sync("c3", T0.plusSeconds(1), true, 100).build());
        closeWindowsUpTo(T0.plus(SIZE));

        assertThat(scope(emitted(WindowKind.TUMBLING), "global", T0).getEventCount())
                .isEqualTo(1);
        assertThat(undecodable).hasSize(2);
        ProducerRecord<byte[], byte[]> first = undecodable.get(0);
        assertThat(first.topic()).isEqualTo("telemetry.dlq");
        assertThat(new String(first.key(), StandardCharsets.UTF_8)).isEqualTo("c1");
        assertThat(first.value()).isEqualTo("not avro".getBytes(StandardCharsets.UTF_8));
        assertThat(DeadLetterHeaders.read(first.headers(), DeadLetterHeaders.STAGE))
                .isEqualTo("DESERIALIZATION");
        assertThat(DeadLetterHeaders.read(first.headers(), DeadLetterHeaders.CODE))
                .isEqualTo("NOT_SINGLE_OBJECT");
        assertThat(DeadLetterHeaders.read(first.headers(), DeadLetterHeaders.SOURCE_TOPIC))
                .isEqualTo("telemetry.sync");
        assertThat(DeadLetterHeaders.read(first.headers(), DeadLetterHeaders.SOURCE_PARTITION))
                .isEqualTo("0");
        assertThat(DeadLetterHeaders.read(first.headers(), DeadLetterHeaders.SOURCE_OFFSET))
                .isEqualTo("0");
        assertThat(DeadLetterHeaders.read(undecodable.get(1).headers(), DeadLetterHeaders.SOURCE_TOPIC))
                .isEqualTo("telemetry.upload");
        assertThat(DeadLetterHeaders.read(undecodable.get(1).headers(), DeadLetterHeaders.CODE))
                .isEqualTo("MALFORMED");
    }

    @Test
    void invalidEventsGoToTheDeadLetterTopicWithTheirReasonAndSource() {
        send(sync("c1", T0.plusSeconds(1), true, 100).build());
        send(sync("c1", T0.plusSeconds(1), true, -5).build());
        send(sync("c1", T0.plus(Duration.ofHours(1)), true, 5).build());
        send(sync("c1", T0.minus(Duration.ofDays(8)), true, 5).build());
        send(sync("c1", T0.plusSeconds(1), true, 5).setEventId(" ").build());
        send(sync("c1", T0.plusSeconds(1), true, 5).setTable("x".repeat(300)).build());
        send(upload("c1", T0.plusSeconds(1), true, 5, -1).build());
        send(sync("c2", T0.plusSeconds(2), true, 100).build());
        closeWindowsUpTo(T0.plus(SIZE));

        assertThat(scope(emitted(WindowKind.TUMBLING), "global", T0).getEventCount())
                .as("valid events around the invalid ones still count")
                .isEqualTo(2);
        var dead = dlq.readRecordsToList();
        assertThat(dead)
                .extracting(r -> DeadLetterHeaders.read(r.headers(), DeadLetterHeaders.CODE))
                .containsExactly(
                        "NEGATIVE_VALUE",
                        "FUTURE_TIMESTAMP",
                        "EXPIRED_TIMESTAMP",
                        "MISSING_FIELD",
                        "OVERSIZED_FIELD",
                        "NEGATIVE_VALUE");
        var first = dead.get(0);
        assertThat(first.key()).isEqualTo("c1");
        assertThat(DeadLetterHeaders.read(first.headers(), DeadLetterHeaders.STAGE))
                .isEqualTo("VALIDATION");
        assertThat(DeadLetterHeaders.read(first.headers(), DeadLetterHeaders.REASON))
                .contains("durationMs");
        assertThat(DeadLetterHeaders.read(first.headers(), DeadLetterHeaders.SOURCE_TOPIC))
                .isEqualTo("telemetry.sync");
        assertThat(DeadLetterHeaders.read(first.headers(), DeadLetterHeaders.SOURCE_OFFSET))
                .isEqualTo("1");
        assertThat(AvroCodec.of(SyncEvent.class).decode(first.value()).getDurationMs())
                .isEqualTo(-5);
        assertThat(DeadLetterHeaders.read(dead.get(5).headers(), DeadLetterHeaders.SOURCE_TOPIC))
                .isEqualTo("telemetry.upload");
    }

    /** Every text field of both event kinds, read from the schemas, with an exposure's flag key and variant. */
    static List<String> textFields(org.apache.avro.Schema schema) {
        List<String> fields = new ArrayList<>();
        for (org.apache.avro.Schema.Field field : schema.getFields()) {
            org.apache.avro.Schema type = field.schema();
            boolean text = type.getType() == org.apache.avro.Schema.Type.STRING
                    || (type.getType() == org.apache.avro.Schema.Type.UNION
                            && type.getTypes().stream()
                                    .anyMatch(t -> t.getType() == org.apache.avro.Schema.Type.STRING));
            if (text) {
                fields.add(field.name());
            }
        }
        fields.add("exposures[0].flagKey");
        fields.add("exposures[0].variant");
        return fields;
    }

    static <T extends org.apache.avro.specific.SpecificRecordBase> T withText(T event, String field, String value) {
        if (field.startsWith("exposures[0].")) {
            var exposure = exposure("door-flag", "on", true);
            exposure.put(field.substring("exposures[0].".length()), value);
            event.put("exposures", List.of(exposure));
        } else {
            event.put(field, value);
        }
        return event;
    }

    @Test
    void aControlCharacterInAnyTextFieldIsDeadLetteredAndNeverCounted() {
        List<String> syncFields = textFields(SyncEvent.getClassSchema());
        List<String> uploadFields = textFields(UploadEvent.getClassSchema());
        assertThat(syncFields)
                .contains("eventId", "clientId", "userId", "sessionId", "appVersion", "table", "errorCode")
                .contains("errorMessage", "exposures[0].flagKey", "exposures[0].variant");
        assertThat(uploadFields).containsAll(syncFields);

        List<String> expectedFields = new ArrayList<>();
        for (String field : syncFields) {
            for (String bad : List.of("a\u0000b", "a\u0001b", "a\u007fb", "a\u0085b")) {
                send(withText(sync("nul-" + field, T0.plusSeconds(1), false, 10).build(), field, bad));
                expectedFields.add(field);
            }
        }
        for (String field : uploadFields) {
            send(withText(
                    upload("nul-" + field, T0.plusSeconds(1), false, 10, 5).build(), field, "\u0000"));
            expectedFields.add(field);
        }
        send(sync("lines", T0.plusSeconds(2), false, 10)
                .setErrorMessage("first line\n\tat second line")
                .build());
        send(sync("clean", T0.plusSeconds(2), true, 10).build());
        closeWindowsUpTo(T0.plus(SIZE));

        assertThat(scope(emitted(WindowKind.TUMBLING), "global", T0).getEventCount())
                .as("only the two clean events are counted; TAB and LF are kept in an error message")
                .isEqualTo(2);
        var dead = dlq.readRecordsToList();
        assertThat(dead).hasSize(expectedFields.size());
        for (int i = 0; i < dead.size(); i++) {
            var record = dead.get(i);
            assertThat(DeadLetterHeaders.read(record.headers(), DeadLetterHeaders.CODE))
                    .isEqualTo("INVALID_CHARACTER");
            assertThat(DeadLetterHeaders.read(record.headers(), DeadLetterHeaders.REASON))
                    .startsWith(expectedFields.get(i) + " contains the character U+")
                    .doesNotContain("\u0000");
        }
    }

    @Test
    void lineBreaksAreRefusedOutsideErrorMessages() {
        send(sync("c1", T0.plusSeconds(1), true, 10).setTable("entries\n").build());
        send(sync("c1", T0.plusSeconds(1), false, 10)
                .setErrorMessage("carriage\rreturn")
                .build());
        closeWindowsUpTo(T0.plus(SIZE));

        assertThat(dlq.readRecordsToList())
                .extracting(r -> DeadLetterHeaders.read(r.headers(), DeadLetterHeaders.REASON))
                .satisfiesExactly(
                        reason -> assertThat(reason).startsWith("table contains the character U+000A at position 7"),
                        reason -> assertThat(reason).startsWith("errorMessage contains the character U+000D"));
    }

    @Test
    void anExposureOfAKeyNoFlagCanHaveIsDeadLetteredAndTheOtherEventsWindowsAreStillPublished() {
        // "a:b" made the scope "flag:a:b:treatment", which failed the task each time its window was published.
        send(sync("c1", T0.plusSeconds(1), true, 10)
                .setExposures(List.of(exposure("a:b", "on", true)))
                .build());
        send(sync("c2", T0.plusSeconds(1), true, 10)
                .setExposures(List.of(exposure("door-flag", "on", true)))
                .build());
        closeWindowsUpTo(T0.plus(SIZE));

        var tumbling = emitted(WindowKind.TUMBLING);
        assertThat(scope(tumbling, "global", T0).getEventCount()).isEqualTo(1);
        assertThat(scope(tumbling, "flag:door-flag:treatment", T0).getEventCount())
                .isEqualTo(1);
        assertThat(tumbling).extracting(r -> r.value().getScopeKey()).noneMatch(k -> k.startsWith("flag:a"));
        var dead = dlq.readRecordsToList();
        assertThat(dead).hasSize(1);
        assertThat(DeadLetterHeaders.read(dead.get(0).headers(), DeadLetterHeaders.CODE))
                .isEqualTo("INVALID_FIELD");
        assertThat(DeadLetterHeaders.read(dead.get(0).headers(), DeadLetterHeaders.REASON))
                .startsWith("exposures[0].flagKey is not a flag key");
    }

    @Test
    void flagKeysVariantsAndTablesAreBoundedByWhatCanBeStoredDownstream() {
        String key = "k".repeat(dev.rollguard.ingest.service.TelemetryValidator.MAX_KEY_LENGTH);
        send(sync("c1", T0.plusSeconds(1), true, 10)
                .setTable(key)
                .setExposures(List.of(exposure(key, key, true)))
                .build());
        send(sync("c1", T0.plusSeconds(1), true, 10).setTable(key + "k").build());
        send(sync("c1", T0.plusSeconds(1), true, 10)
                .setExposures(List.of(exposure(key + "k", "on", true)))
                .build());
        send(sync("c1", T0.plusSeconds(1), true, 10)
                .setExposures(List.of(exposure("door-flag", key + "k", true)))
                .build());
        closeWindowsUpTo(T0.plus(SIZE));

        assertThat(scope(emitted(WindowKind.TUMBLING), "global", T0).getEventCount())
                .isEqualTo(1);
        assertThat(dlq.readRecordsToList())
                .extracting(r -> DeadLetterHeaders.read(r.headers(), DeadLetterHeaders.REASON))
                .containsExactly(
                        "table is longer than 128 characters",
                        "exposures[0].flagKey is longer than 128 characters",
                        "exposures[0].variant is longer than 128 characters");
    }

    @Test
    void hoppingWindowsOverlapAndAreEmittedWhenClosed() {
        // Hopping windows of 30 s advancing by 10 s: an event at T0+15s is in the windows starting T0-10, T0, T0+10.
        send(sync("c1", T0.plusSeconds(15), true, 100).build());
        send(sync("c2", T0.plusSeconds(25), true, 100).build());
        closeWindowsUpTo(T0.plusSeconds(40));
        // [T0+10, T0+40) has no event in its last 10 s: it is complete once a later tumbling window closes.
        closeWindowsUpTo(T0.plusSeconds(50));

        var hopping = emitted(WindowKind.HOPPING);
        assertThat(hopping)
                .filteredOn(r -> r.value().getScopeKey().equals("global"))
                .extracting(r -> r.value().getWindowStart(), r -> r.value().getEventCount())
                .contains(tuple(T0.minusSeconds(10), 1L), tuple(T0, 2L), tuple(T0.plusSeconds(10), 2L));
        assertThat(scope(hopping, "global", T0).getWindowEnd()).isEqualTo(T0.plusSeconds(30));
    }

    @Test
    void hoppingWindowsMustBeWholeTumblingWindows() {
        var settings = TopologySettings.of(TopicNames.DEFAULT, SIZE, GRACE)
                .withHopping(true, Duration.ofSeconds(25), Duration.ofSeconds(10));
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> TelemetryTopology.build(settings, new FlagDirectory(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("multiples of the tumbling window size");
    }

    @Test
    void eachHoppingWindowIsEmittedOnceAndCountsEveryEventItCovers() {
        for (int s = 0; s < 60; s += 5) {
            send(sync("c" + s, T0.plusSeconds(s), true, 100).build());
        }
        closeWindowsUpTo(T0.plusSeconds(60));
        closeWindowsUpTo(T0.plusSeconds(90));
        var hopping = emitted(WindowKind.HOPPING).stream()
                .filter(r -> r.value().getScopeKey().equals("global"))
                .toList();
        assertThat(hopping)
                .extracting(r -> r.value().getWindowStart())
                .doesNotHaveDuplicates()
                .contains(T0.minusSeconds(20), T0, T0.plusSeconds(30));
        // Two events per 10 s: a full 30 s window holds six.
        assertThat(scope(hopping, "global", T0.plusSeconds(10)).getEventCount()).isEqualTo(6);
        assertThat(scope(hopping, "global", T0.minusSeconds(20)).getEventCount())
                .isEqualTo(2);
    }

    @Test
    void aCohortTracksAtMostItsCapOfClientsWhileEveryEventIsCounted() throws Exception {
        int cap = 6;
        start(TopologySettings.of(TopicNames.DEFAULT, SIZE, GRACE)
                .withHopping(false, SIZE, SIZE)
                .withMaxClientsPerCohort(cap));
        publish(flag("ramping", 7, T0.minusSeconds(60), 5_000).build());
        // 80 clients, two syncs each, one window apart, arriving over three windows: clients 0-39 first come in the
        // first window, 40-79 in the second, so the sample drops clients of the first window in the second and
        // retracts what they had added there. Every fifth client fails its first sync.
        int clients = 80;
        double raisedBefore = guardCount("rollguard.ingest.guard.sample.level.raised");
        double sampledOutBefore = guardCount("rollguard.ingest.guard.clients.sampled.out");
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < clients; i++) {
                int first = i < clients / 2 ? 0 : 1;
                if (round == first || round == first + 1) {
                    boolean success = round != first || i % 5 != 0;
                    send(sync("client-" + i, T0.plus(SIZE.multipliedBy(round)).plusMillis(1 + i), success, 100)
                            .setExposures(List.of(exposure("ramping", i % 2 == 0 ? "on" : "off", i % 2 == 0)))
                            .build());
                }
            }
        }
        ClientStageStore store = (ClientStageStore) driver.getStateStore(ClientStageStore.STORE);
        // The minute's sweep keeps the states of a stage in force.
        driver.advanceWallClockTime(TelemetryProcessor.CLIENT_STATE_SWEEP.multipliedBy(2));
        closeWithoutTheFlag(T0.plus(SIZE.multipliedBy(3)));
        var closed = emitted(WindowKind.TUMBLING);

        long untracked = 0;
        long raised = 0;
        for (String cohort : List.of("TREATMENT", "CONTROL")) {
            String prefix = ClientStageStore.cohort("ramping", 7, cohort);
            int level = store.level(prefix);
            raised += level;
            assertThat(level).as("the %s sample was halved", cohort).isGreaterThan(0);
            int tracked = 0;
            int failures = 0;
            for (int i = cohort.equals("TREATMENT") ? 0 : 1; i < clients; i += 2) {
                boolean in = ClientSampling.tracked("client-" + i, level);
                assertThat(store.tracked(prefix + "client-" + i) != null).isEqualTo(in);
                if (in) {
                    tracked++;
                    failures += i % 5 == 0 ? 1 : 0;
                }
            }
            assertThat(store.trackedClients(prefix)).isEqualTo(tracked).isBetween(1, cap);
            String scope = "flag:ramping:" + cohort.toLowerCase(java.util.Locale.ROOT);
            long events = 0;
            double[] sums = new double[6];
            for (int w = 0; w < 3; w++) {
                WindowMetricsEvent window = scope(closed, scope, T0.plus(SIZE.multipliedBy(w)));
                events += window.getEventCount();
                for (var m : window.getClientMoments()) {
                    if (m.getMetric().equals("failure")) {
                        sums[0] += m.getClients();
                        sums[1] += m.getSumY();
                        sums[2] += m.getSumX();
                        sums[3] += m.getSumYY();
                        sums[4] += m.getSumXX();
                        sums[5] += m.getSumXY();
                    }
                }
            }
            assertThat(events).as("every event of the cohort counted").isEqualTo(clients);
            untracked += clients / 2 - tracked;
            // Each tracked client: two events, Y = 1 for the failing ones.
            assertThat(sums)
                    .as("the stage's sums are those of the tracked clients")
                    .containsExactly(tracked, failures, 2.0 * tracked, failures, 4.0 * tracked, 2.0 * failures);
        }
        assertThat(guardCount("rollguard.ingest.guard.sample.level.raised") - raisedBefore)
                .as("each halving of a cohort's sample counted")
                .isEqualTo(raised);
        // A client left out of the sample has its two events counted as sampled out; a client dropped after its first
        // event was tracked for that one.
        assertThat(guardCount("rollguard.ingest.guard.clients.sampled.out") - sampledOutBefore)
                .isBetween((double) untracked, 2.0 * untracked);
    }

    private static double guardCount(String name) {
        return Metrics.globalRegistry.find(name).tag("flag", "ramping").counters().stream()
                .mapToDouble(c -> c.count())
                .sum();
    }

    @Test
    void aBacklogBehindTheWallClockKeepsItsClientsAcrossAStageChangeUntilItsWatermarkPassesIt() throws Exception {
        // A long idle timeout: the wall clock moves on while the task works through a backlog of older events.
        start(TopologySettings.of(TopicNames.DEFAULT, SIZE, GRACE)
                .withHopping(false, SIZE, SIZE)
                .withIdleTimeout(Duration.ofMinutes(10)));
        publish(flag("ramping", 7, T0.minusSeconds(60), 5_000).build());
        publish(flag("ramping", 8, T0.plusSeconds(100), 3_000).build());
        sendSync("a", 1, false, 100, true);
        // The sweep runs with the wall clock past the change to version 8, the backlog still in version 7's stage.
        driver.advanceWallClockTime(TelemetryProcessor.CLIENT_STATE_SWEEP.multipliedBy(3));
        sendSync("a", 2, true, 100, true);
        ClientStageStore store = (ClientStageStore) driver.getStateStore(ClientStageStore.STORE);
        String stage7 = ClientStageStore.cohort("ramping", 7, "TREATMENT");
        assertThat(store.trackedClients(stage7)).isEqualTo(1);
        // The closing lets the task go idle, so its watermark follows the wall clock past the change: the next sweep
        // drops the ended stage's clients.
        closeWithoutTheFlag(T0.plus(SIZE));
        // One client (1 failure, 2 events), not two clients of one event each.
        assertMoment(scope(emitted(WindowKind.TUMBLING), "flag:ramping:treatment", T0), "failure", 1, 1, 2, 1, 4, 2);
        driver.advanceWallClockTime(TelemetryProcessor.CLIENT_STATE_SWEEP);
        assertThat(store.trackedClients(stage7)).isZero();
        assertThat(store.tracked(stage7 + "a")).isNull();
    }
}
