package dev.rollguard.ingest.listener;

import dev.rollguard.ingest.config.IngestConfig;
import dev.rollguard.ingest.service.EvaluatedKeyDigests;
import dev.rollguard.ingest.service.EvaluationKeyWatch;
import dev.rollguard.schemas.Topics;
import dev.rollguard.schemas.event.EvaluatedKeysEvent;
import dev.rollguard.schemas.serde.AvroCodec;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Reads evaluated.keys into the {@link EvaluatedKeyDigests} the {@link EvaluationKeyWatch} checks events against.
 * Every instance needs every flag's digests (an event of any flag may reach any stream task), so the thread assigns
 * itself every partition and reads the topic from the beginning, without a consumer group, like a Kafka Streams
 * global store but without a state store: the digests are small and only the recent ones matter. A topic that does
 * not exist (yet) means no evidence, so nothing is checked until it does; a record that cannot be decoded is skipped
 * and logged (it costs the check a few keys, never a cohort). The same thread ticks the watch every second.
 */
@ApplicationScoped
public class EvaluatedKeysListener {

    private static final Duration POLL = Duration.ofSeconds(1);
    private static final Duration RETRY = Duration.ofSeconds(5);
    private static final AvroCodec<EvaluatedKeysEvent> CODEC = AvroCodec.of(EvaluatedKeysEvent.class);

    private final IngestConfig.EvaluationKeys config;
    private final String bootstrapServers;
    private volatile boolean running;
    private volatile KafkaConsumer<byte[], byte[]> consumer;
    private Thread thread;

    public EvaluatedKeysListener(
            IngestConfig config, @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers) {
        this.config = config.evaluationKeys();
        this.bootstrapServers = bootstrapServers;
    }

    void onStart(@Observes StartupEvent event) {
        if (!config.enabled()) {
            EvaluationKeyWatch.install(null);
            return;
        }
        EvaluatedKeyDigests digests = new EvaluatedKeyDigests(
                config.lookback().toMillis(), config.warmup().toMillis());
        EvaluationKeyWatch watch = new EvaluationKeyWatch(
                new EvaluationKeyWatch.Settings(
                        config.lookback().toMillis(),
                        config.span().toMillis(),
                        config.settle().toMillis(),
                        config.minEvents(),
                        config.unseenShare(),
                        config.maxPending(),
                        EvaluationKeyWatch.WARN_INTERVAL.toMillis()),
                digests,
                System::currentTimeMillis);
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "metrics-ingest-evaluated-keys");
        consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        running = true;
        EvaluationKeyWatch.install(watch);
        thread = new Thread(() -> run(digests, watch), "evaluated-keys");
        thread.setDaemon(true);
        thread.start();
    }

    void onStop(@Observes ShutdownEvent event) throws InterruptedException {
        running = false;
        if (consumer != null) {
            consumer.wakeup();
        }
        if (thread != null) {
            thread.join(Duration.ofSeconds(5).toMillis());
        }
        EvaluationKeyWatch.install(null);
    }

    private void run(EvaluatedKeyDigests digests, EvaluationKeyWatch watch) {
        boolean assigned = false;
        try (KafkaConsumer<byte[], byte[]> kafka = consumer) {
            while (running) {
                try {
                    if (!assigned) {
                        assigned = assign(kafka);
                    }
                    if (assigned) {
                        for (ConsumerRecord<byte[], byte[]> record : kafka.poll(POLL)) {
                            apply(digests, record);
                        }
                    } else {
                        Thread.sleep(POLL.toMillis());
                    }
                    watch.tick();
                } catch (WakeupException | InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    Log.warnf("evaluated.keys: %s; retrying in %d s", e.toString(), RETRY.toSeconds());
                    assigned = false;
                    try {
                        Thread.sleep(RETRY.toMillis());
                    } catch (InterruptedException stop) {
                        return;
                    }
                }
            }
        }
    }

    private static boolean assign(KafkaConsumer<byte[], byte[]> kafka) {
        List<PartitionInfo> infos = kafka.partitionsFor(Topics.EVALUATED_KEYS, Duration.ofSeconds(5));
        if (infos == null || infos.isEmpty()) {
            return false;
        }
        List<TopicPartition> partitions = infos.stream()
                .map(p -> new TopicPartition(p.topic(), p.partition()))
                .toList();
        kafka.assign(partitions);
        kafka.seekToBeginning(partitions);
        return true;
    }

    private static void apply(EvaluatedKeyDigests digests, ConsumerRecord<byte[], byte[]> record) {
        if (record.value() == null) {
            return;
        }
        try {
            digests.apply(CODEC.decode(record.value()), System.currentTimeMillis());
        } catch (RuntimeException e) {
            Log.warnf("evaluated.keys partition %d offset %d skipped: %s", record.partition(), record.offset(), e);
        }
    }
}
