package dev.rollguard.bench.ingest;

import dev.rollguard.infra.EmbeddedKafka;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;

/**
 * Kafka Streams' own ceiling on this machine for the benchmark's input: an application with the topology's framework
 * costs (exactly-once v2 transactions, the same commit interval and stream threads, a consumer and a producer per
 * thread) and none of its work, each record of the sync topic forwarded as bytes, unchanged, to one output topic. The
 * producer's figure alone cannot say how much of the aggregation's gap to it is the framework and how much the
 * topology; "aggregation / pass-through" can, and it is timed by the same code as the aggregation so that the two
 * figures differ only in the work.
 */
final class PassThrough {

    static final String APPLICATION_ID = "bench-pass-through";

    static Topology topology(String input, String output) {
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(input, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
                .to(output, Produced.with(Serdes.ByteArray(), Serdes.ByteArray()));
        return builder.build();
    }

    /**
     * Drains the {@code events} preloaded on {@code input} into {@code output} (created here, with the input's
     * partition count), then closes the application and deletes its state directory, so that nothing of it runs or
     * stays on disk beside the aggregation that follows.
     */
    static IngestBench.Drain drain(
            EmbeddedKafka kafka, String input, String output, int events, Path stateDir, String applicationId)
            throws Exception {
        String bootstrap = kafka.bootstrapServers();
        kafka.createTopics(List.of(new NewTopic(output, IngestBench.PARTITIONS, (short) 1)));
        KafkaStreams streams = new KafkaStreams(
                topology(input, output), IngestBench.streamsConfig(bootstrap, applicationId, stateDir));
        IngestBench.watch(streams);
        streams.start();
        IngestBench.Drain drain;
        boolean closed;
        try {
            IngestBench.awaitRunning(streams);
            drain = IngestBench.awaitNoLag(
                    bootstrap, applicationId, IngestBench.warmupEvents(events), Duration.ofMinutes(15));
        } finally {
            // Its stream threads would otherwise keep a failed run's JVM, and so the cost sweep, waiting.
            closed = streams.close(Duration.ofSeconds(30));
        }
        if (!closed) {
            throw new IllegalStateException(
                    "the pass-through did not close within 30 s; the aggregation would share the machine with it");
        }
        streams.cleanUp();
        return drain;
    }

    private PassThrough() {}
}
