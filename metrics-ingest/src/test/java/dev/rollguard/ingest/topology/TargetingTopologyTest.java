package dev.rollguard.ingest.topology;

import static dev.rollguard.ingest.TelemetryFixtures.exposure;
import static dev.rollguard.ingest.TelemetryFixtures.flag;
import static dev.rollguard.ingest.TelemetryFixtures.sync;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.ingest.service.FlagDirectory;
import dev.rollguard.ingest.service.MissingContextAttributes;
import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.Constraint;
import dev.rollguard.schemas.event.ConstraintOperator;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.event.FlagVariant;
import dev.rollguard.schemas.event.Platform;
import dev.rollguard.schemas.event.SyncEvent;
import dev.rollguard.schemas.event.TargetingRule;
import dev.rollguard.schemas.event.VariantWeight;
import dev.rollguard.schemas.event.WindowKind;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import dev.rollguard.schemas.serde.AvroCodec;
import dev.rollguard.schemas.serde.AvroSerde;
import dev.rollguard.schemas.targeting.Evaluation;
import dev.rollguard.schemas.targeting.EvaluationContext;
import dev.rollguard.schemas.targeting.FlagEvaluator;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Targeting in the topology: cohorts of events without exposures come from the attributes the telemetry carries, and
 * a flag with weighted variants has a window per treated variant beside its control's.
 */
class TargetingTopologyTest {

    static final Instant T0 = Instant.parse("2026-03-04T10:00:00Z");
    static final Duration SIZE = Duration.ofSeconds(10);
    static final Duration GRACE = Duration.ofSeconds(2);

    TopologyTestDriver driver;
    TopologySettings settings;
    TestInputTopic<String, byte[]> syncs;
    TestInputTopic<String, FlagChangedEvent> flags;
    TestOutputTopic<String, WindowMetricsEvent> windows;

    /** The driver's state directory, deleted after each test: nothing in it tells why a test failed. */
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
        settings = TopologySettings.of(TopicNames.DEFAULT, SIZE, GRACE);
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "metrics-ingest-targeting-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.STATE_DIR_CONFIG, scratch.toString());
        driver = new TopologyTestDriver(
                TelemetryTopology.build(settings, new FlagDirectory(settings.flagHistoryVersions())), props, T0);
        syncs = driver.createInputTopic("telemetry.sync", new StringSerializer(), new ByteArraySerializer());
        flags = driver.createInputTopic(
                "flags.changes",
                new StringSerializer(),
                AvroSerde.of(FlagChangedEvent.class).serializer());
        windows = driver.createOutputTopic(
                "metrics.windows",
                new StringDeserializer(),
                AvroSerde.of(WindowMetricsEvent.class).deserializer());
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    void send(SyncEvent event) {
        syncs.pipeInput(event.getClientId(), AvroCodec.of(SyncEvent.class).encode(event), event.getEventTime());
    }

    void publish(FlagChangedEvent flag) {
        flags.pipeInput(flag.getFlagKey(), flag, flag.getChangedAt());
    }

    /** Closes the windows up to {@code windowEnd} with an event that counts in no cohort of the flags here. */
    void closeWindowsUpTo(Instant windowEnd) {
        driver.advanceWallClockTime(settings.flushInterval());
        send(sync("closer", windowEnd.plus(GRACE).plusSeconds(1), true, 1)
                .setExposures(List.of(exposure("unrelated", "on", true)))
                .build());
        driver.advanceWallClockTime(settings.idleTimeout());
        driver.advanceWallClockTime(settings.flushInterval());
    }

    List<WindowMetricsEvent> tumbling(Instant start) {
        driver.advanceWallClockTime(settings.flushInterval());
        List<WindowMetricsEvent> result = new ArrayList<>();
        for (TestRecord<String, WindowMetricsEvent> record : windows.readRecordsToList()) {
            WindowMetricsEvent w = record.value();
            if (w.getWindowKind() == WindowKind.TUMBLING && w.getWindowStart().equals(start)) {
                assertThat(w.getFlagKey() == null || record.key().equals("flag:" + w.getFlagKey()))
                        .as("every cohort of a flag shares the record key flag:<key>: %s", w.getScopeKey())
                        .isTrue();
                result.add(w);
            }
        }
        return result;
    }

    static WindowMetricsEvent scope(List<WindowMetricsEvent> windows, String scopeKey) {
        return windows.stream()
                .filter(w -> w.getScopeKey().equals(scopeKey))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no window " + scopeKey + " in " + windows));
    }

    private static Constraint constraint(String attribute, ConstraintOperator operator, String... values) {
        return Constraint.newBuilder()
                .setAttribute(attribute)
                .setOperator(operator)
                .setValues(List.of(values))
                .build();
    }

    @Test
    void cohortsOfEventsWithoutExposuresComeFromTheirAttributes() {
        // Nobody by percentage; iOS 4.2 and up, and the French, get the change.
        publish(flag("beta", 1, T0.minusSeconds(60), 0)
                .setRules(List.of(
                        TargetingRule.newBuilder()
                                .setId("new-ios")
                                .setConstraints(List.of(
                                        constraint("platform", ConstraintOperator.IN, "IOS"),
                                        constraint("appVersion", ConstraintOperator.SEMVER_GTE, "4.2.0")))
                                .setVariant("on")
                                .build(),
                        TargetingRule.newBuilder()
                                .setId("france")
                                .setConstraints(List.of(constraint("country", ConstraintOperator.IN, "FR")))
                                .setVariant("on")
                                .build()))
                .build());
        long missingBefore = MissingContextAttributes.GLOBAL.counts().getOrDefault("beta/country", 0L);

        send(sync("c1", T0.plusSeconds(1), false, 100)
                .setPlatform(Platform.IOS)
                .setAppVersion("4.3.0")
                .setContext(Map.of("country", "DE"))
                .build());
        send(sync("c2", T0.plusSeconds(2), true, 100)
                .setPlatform(Platform.ANDROID)
                .setAppVersion("4.3.0")
                .setContext(Map.of("country", "FR"))
                .build());
        send(sync("c3", T0.plusSeconds(3), true, 100)
                .setPlatform(Platform.IOS)
                .setAppVersion("4.1.0")
                .setContext(Map.of("country", "DE"))
                .build());
        // No context: the 'france' rule cannot match it, and the missing attribute is counted.
        send(sync("c4", T0.plusSeconds(4), true, 100)
                .setPlatform(Platform.WEB)
                .setAppVersion("4.3.0")
                .build());
        closeWindowsUpTo(T0.plus(SIZE));

        var closed = tumbling(T0);
        WindowMetricsEvent treatment = scope(closed, "flag:beta:treatment");
        WindowMetricsEvent control = scope(closed, "flag:beta:control");
        assertThat(treatment.getEventCount()).as("c1 (iOS 4.3) and c2 (France)").isEqualTo(2);
        assertThat(treatment.getFailureCount()).isEqualTo(1);
        assertThat(treatment.getVariant()).isNull();
        assertThat(control.getEventCount())
                .as("c3 (iOS 4.1, Germany) and c4 (web, no country)")
                .isEqualTo(2);
        assertThat(MissingContextAttributes.GLOBAL.counts().get("beta/country")).isEqualTo(missingBefore + 1);
        // Rules with fixed variants draw nobody: the stage's cohorts are populations, and its windows say so.
        assertThat(treatment.getClientMoments()).isNotEmpty().allMatch(m -> m.getStageVersion() == 1);
        assertThat(treatment.getComparesPopulations()).isTrue();
        assertThat(control.getComparesPopulations()).isTrue();
        assertThat(scope(closed, "global").getComparesPopulations())
                .as("only flag cohorts tell")
                .isNull();
    }

    /** A flag at 50 % whose treatment is split evenly between blue and green; off is the control. */
    private static FlagChangedEvent weighted(String key, long version, Instant at) {
        return flag(key, version, at, 5_000)
                .setVariants(List.of(variant("off"), variant("blue"), variant("green")))
                .setTreatmentVariant("blue")
                .setOffVariant("off")
                .setVariantWeights(List.of(weight("blue"), weight("green")))
                .build();
    }

    private static VariantWeight weight(String variant) {
        return VariantWeight.newBuilder().setVariant(variant).setWeight(5_000).build();
    }

    private static FlagVariant variant(String name) {
        return FlagVariant.newBuilder()
                .setName(name)
                .setValueJson("\"" + name + "\"")
                .build();
    }

    @Test
    void aWeightedFlagHasAWindowPerTreatedVariantAndOneControl() {
        FlagChangedEvent flag = weighted("colours", 3, T0.minusSeconds(60));
        publish(flag);
        Map<String, Long> expected = new HashMap<>();
        for (int i = 0; i < 300; i++) {
            String user = "user-" + i;
            Evaluation served = FlagEvaluator.evaluate(flag, EvaluationContext.of(user), k -> null, false);
            String scope = served.treated() ? "flag:colours:treatment:" + served.variant() : "flag:colours:control";
            expected.merge(scope, 1L, Long::sum);
            send(sync("c-" + i, T0.plusMillis(i * 10L), true, 10)
                    .setUserId(user)
                    .build());
        }
        // An exposure names the variant served: this one counts for green whatever its user evaluates to.
        send(sync("c-exposed", T0.plusSeconds(5), false, 10)
                .setUserId("user-0")
                .setExposures(List.of(exposure("colours", "green", null)))
                .build());
        expected.merge("flag:colours:treatment:green", 1L, Long::sum);
        closeWindowsUpTo(T0.plus(SIZE));

        var closed = tumbling(T0);
        assertThat(expected)
                .containsOnlyKeys(
                        "flag:colours:control", "flag:colours:treatment:blue", "flag:colours:treatment:green");
        expected.forEach((scopeKey, count) ->
                assertThat(scope(closed, scopeKey).getEventCount()).as(scopeKey).isEqualTo(count));
        WindowMetricsEvent green = scope(closed, "flag:colours:treatment:green");
        assertThat(green.getCohort()).isEqualTo(Cohort.TREATMENT);
        assertThat(green.getVariant()).isEqualTo("green");
        assertThat(green.getFlagKey()).isEqualTo("colours");
        assertThat(green.getFailureCount()).isEqualTo(1);
        assertThat(green.getClientMoments())
                .as("each variant's clients carry the guard's moments of the stage")
                .isNotEmpty()
                .allMatch(m -> m.getStageVersion() == 3);
        assertThat(green.getComparesPopulations())
                .as("a 50 % share drew every subject of both cohorts")
                .isFalse();
        assertThat(scope(closed, "flag:colours:control").getComparesPopulations())
                .isFalse();
        assertThat(scope(closed, "flag:colours:control").getVariant()).isNull();
        assertThat(closed)
                .extracting(WindowMetricsEvent::getScopeKey)
                .as("no plain treatment cohort for a weighted flag")
                .doesNotContain("flag:colours:treatment");

        // A window in which the flag's clients were silent: every expected cohort still has its (empty) window.
        closeWindowsUpTo(T0.plus(SIZE.multipliedBy(2)));
        var silent = tumbling(T0.plus(SIZE));
        for (String scopeKey :
                List.of("flag:colours:control", "flag:colours:treatment:blue", "flag:colours:treatment:green")) {
            assertThat(scope(silent, scopeKey).getEventCount()).as(scopeKey).isZero();
        }
    }
}
