package dev.rollguard.ingest.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.ingest.topology.TelemetryTopology;
import dev.rollguard.ingest.topology.TopicNames;
import dev.rollguard.ingest.topology.TopologySettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Readiness is down in every state but RUNNING (here: CREATED, then NOT_RUNNING after close). */
class StreamsReadinessCheckTest {

    @Test
    void isDownUnlessRunning(@TempDir Path stateDir) throws Exception {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "readiness-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:1");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        TopologySettings settings =
                TopologySettings.of(TopicNames.DEFAULT, Duration.ofSeconds(10), Duration.ofSeconds(1));
        try (KafkaStreams streams = new KafkaStreams(TelemetryTopology.build(settings, new FlagDirectory(1)), props)) {
            StreamsReadinessCheck check = new StreamsReadinessCheck(streams);
            HealthCheckResponse created = check.call();
            assertThat(created.getStatus()).isEqualTo(HealthCheckResponse.Status.DOWN);
            assertThat(created.getData().orElseThrow()).containsEntry("state", "CREATED");
            streams.close(Duration.ofSeconds(5));
            assertThat(check.call().getData().orElseThrow()).containsEntry("state", "NOT_RUNNING");
            assertThat(check.call().getStatus()).isEqualTo(HealthCheckResponse.Status.DOWN);
        }
    }
}
