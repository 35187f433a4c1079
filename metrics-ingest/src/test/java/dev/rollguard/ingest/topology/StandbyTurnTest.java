package dev.rollguard.ingest.topology;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.infra.SharedInfra;
import dev.rollguard.ingest.KafkaTestClient;
import dev.rollguard.ingest.service.FlagDirectory;
import dev.rollguard.schemas.event.SyncEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TaskMetadata;
import org.apache.kafka.streams.ThreadMetadata;
import org.apache.kafka.streams.TopologyDescription;
import org.apache.kafka.streams.processor.TaskId;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * A task that goes from one instance to another and comes back, on the real broker, with a standby replica: Kafka
 * Streams turns the first instance's active task into a standby (which follows the second instance's commits through
 * the changelogs) and, when the second instance leaves, back into an active task, keeping its stores both times. The
 * closed windows must count every distinct event once: what each instance committed while it ran the task, nothing
 * lost with the turns.
 *
 * <p>The partials are kept until a watermark moves (a flush interval of an hour), so that the second instance's
 * partials are in the changelog, not yet handed on, when it leaves: the first instance must read them back.
 */
class StandbyTurnTest {

    static final int EVENTS = 1800;

    final List<KafkaStreams> instances = new ArrayList<>();

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path scratch;

    @AfterEach
    void stop() {
        instances.forEach(streams -> streams.close(Duration.ofSeconds(10)));
    }

    private KafkaStreams start(TopologySettings settings, String bootstrap, String appId, String prefix, String name)
            throws Exception {
        Properties config =
                StreamsWorker.config(bootstrap, appId, prefix, Files.createDirectories(scratch.resolve(name)));
        config.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, 1);
        KafkaStreams streams = StreamsWorker.start(settings, config);
        instances.add(streams);
        return streams;
    }

    private static Set<TaskId> tasks(KafkaStreams streams, boolean active) {
        return streams.metadataForLocalThreads().stream()
                .map(ThreadMetadata.class::cast)
                .flatMap(t -> (active ? t.activeTasks() : t.standbyTasks()).stream())
                .map(TaskMetadata::taskId)
                .collect(Collectors.toSet());
    }

    /** The sub-topology of the aggregation's first stage, whose tasks hold the live stores. */
    private int inputSubtopology;

    /** The input tasks among {@code tasks}. */
    private Set<TaskId> inputTasks(Set<TaskId> tasks) {
        return tasks.stream().filter(t -> t.subtopology() == inputSubtopology).collect(Collectors.toSet());
    }

    @Test
    void aTaskBackFromAStintAsStandbyCountsWhatTheOtherInstanceCommitted() throws Exception {
        String bootstrap = SharedInfra.kafkaBootstrap();
        String id = UUID.randomUUID().toString().substring(0, 8);
        String prefix = "turn-" + id + ".";
        String appId = "metrics-ingest-turn-" + id;
        TopicNames topics = TopicNames.DEFAULT.prefixed(prefix);
        StreamsWorker.createTopics(bootstrap, topics);
        TopologySettings settings = StreamsWorker.settings(prefix).withFlushInterval(Duration.ofHours(1));
        inputSubtopology =
                TelemetryTopology.build(settings, new FlagDirectory(settings.flagHistoryVersions()))
                        .describe()
                        .subtopologies()
                        .stream()
                        .filter(sub -> sub.nodes().stream()
                                .anyMatch(node -> node instanceof TopologyDescription.Processor processor
                                        && processor.stores().contains(TelemetryProcessor.STORE)))
                        .findFirst()
                        .orElseThrow()
                        .id();

        Instant start = Instant.now().minus(Duration.ofMinutes(10)).truncatedTo(ChronoUnit.SECONDS);
        Map<String, Long> expected = new TreeMap<>();
        List<SyncEvent> events = ExactlyOnceTest.events(start, EVENTS, expected);
        AtomicInteger progress = new AtomicInteger();

        // The first instance alone runs every task.
        KafkaStreams first = start(settings, bootstrap, appId, prefix, "first");
        Awaitility.await()
                .atMost(Duration.ofSeconds(90))
                .until(() -> first.state() == KafkaStreams.State.RUNNING
                        && inputTasks(tasks(first, true)).size() == 3);
        try (KafkaProducer<String, byte[]> producer = KafkaTestClient.producer()) {
            ExactlyOnceTest.sendPaced(producer, topics.sync(), events, 0, EVENTS / 3, progress);
            Awaitility.await()
                    .atMost(Duration.ofSeconds(60))
                    .until(() -> ExactlyOnceTest.lag(bootstrap, appId, topics.sync()) == 0);

            // A second instance joins: it takes input tasks over, and the first keeps each as a standby.
            KafkaStreams second = start(settings, bootstrap, appId, prefix, "second");
            Awaitility.await()
                    .atMost(Duration.ofSeconds(90))
                    .until(() -> first.state() == KafkaStreams.State.RUNNING
                            && second.state() == KafkaStreams.State.RUNNING
                            && !inputTasks(tasks(second, true)).isEmpty()
                            && tasks(first, false).containsAll(inputTasks(tasks(second, true))));
            Set<TaskId> turned = inputTasks(tasks(second, true));
            ExactlyOnceTest.sendPaced(producer, topics.sync(), events, EVENTS / 3, 2 * EVENTS / 3, progress);
            Awaitility.await()
                    .atMost(Duration.ofSeconds(60))
                    .until(() -> ExactlyOnceTest.lag(bootstrap, appId, topics.sync()) == 0);

            // The second instance leaves: the first turns its standbys into active tasks again.
            second.close(Duration.ofSeconds(30));
            instances.remove(second);
            Awaitility.await()
                    .atMost(Duration.ofSeconds(90))
                    .until(() -> first.state() == KafkaStreams.State.RUNNING
                            && tasks(first, true).containsAll(turned));
            ExactlyOnceTest.sendPaced(producer, topics.sync(), events, 2 * EVENTS / 3, EVENTS, progress);
        }
        assertThat(ExactlyOnceTest.closeAndCount(topics, start, expected.size()))
                .isEqualTo(expected);
    }
}
