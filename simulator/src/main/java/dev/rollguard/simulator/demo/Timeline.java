package dev.rollguard.simulator.demo;

import dev.rollguard.schemas.Topics;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.event.RollbackActionEvent;
import dev.rollguard.schemas.event.RolloutActionEvent;
import dev.rollguard.schemas.event.ScopeType;
import dev.rollguard.schemas.event.SyncEvent;
import dev.rollguard.schemas.event.UploadEvent;
import dev.rollguard.schemas.event.WindowKind;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import dev.rollguard.schemas.serde.AvroCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Everything the loop says on Kafka while a scenario runs — closed windows, alert transitions, rollback actions, the
 * promoter's rollout steps and flag changes — read from the end of each topic as it was when the timeline started, and handed to a listener as
 * it arrives.
 */
public final class Timeline implements AutoCloseable {

    /** Receives each event as it is read. */
    public interface Listener {
        default void window(WindowMetricsEvent window) {}

        default void alert(AlertEvent alert) {}

        default void rollback(RollbackActionEvent action) {}

        default void rollout(RolloutActionEvent step) {}

        default void flagChanged(FlagChangedEvent change) {}
    }

    private final KafkaConsumer<String, byte[]> consumer;
    private final Listener listener;
    private final Thread reader;
    private volatile boolean running = true;

    private final List<WindowMetricsEvent> windows = new CopyOnWriteArrayList<>();
    private final List<AlertEvent> alerts = new CopyOnWriteArrayList<>();
    private final List<RollbackActionEvent> rollbacks = new CopyOnWriteArrayList<>();
    private final List<RolloutActionEvent> rollouts = new CopyOnWriteArrayList<>();
    private final List<FlagChangedEvent> flagChanges = new CopyOnWriteArrayList<>();
    /**
     * Telemetry events that metrics-ingest dead-lettered as late (code {@code LATE}: they reached their input task after
     * its watermark had closed their window), by the second of their event time. Each is an event acknowledged and not
     * counted in a window: it is accounted for on {@code telemetry.dlq}, with its reason, not lost.
     */
    private final ConcurrentSkipListMap<Long, LongAdder> lateBySecond = new ConcurrentSkipListMap<>();

    public Timeline(String bootstrap, Listener listener) {
        this.listener = listener;
        this.consumer = new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrap,
                        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                        false,
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                        "read_committed",
                        ConsumerConfig.CLIENT_ID_CONFIG,
                        "rollguard-timeline"),
                new StringDeserializer(),
                new ByteArrayDeserializer());
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : List.of(
                Topics.METRICS_WINDOWS,
                Topics.ALERTS,
                Topics.ROLLBACKS,
                Topics.ROLLOUTS,
                Topics.FLAGS_CHANGES,
                Topics.TELEMETRY_DLQ)) {
            consumer.partitionsFor(topic, Duration.ofSeconds(30))
                    .forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
        }
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position); // resolve the end offsets now, before anything happens
        this.reader = new Thread(this::read, "rollguard-timeline");
        this.reader.setDaemon(true);
        this.reader.start();
    }

    private void read() {
        while (running) {
            for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                if (record.value() == null) {
                    continue;
                }
                try {
                    dispatch(record);
                } catch (RuntimeException undecodable) {
                    // Another writer's record on a shared topic; the timeline shows only what it can read.
                }
            }
        }
        consumer.close(Duration.ofSeconds(2));
    }

    private void dispatch(ConsumerRecord<String, byte[]> record) {
        switch (record.topic()) {
            case Topics.METRICS_WINDOWS -> {
                WindowMetricsEvent w = AvroCodec.of(WindowMetricsEvent.class).decode(record.value());
                windows.add(w);
                listener.window(w);
            }
            case Topics.ALERTS -> {
                AlertEvent a = AvroCodec.of(AlertEvent.class).decode(record.value());
                alerts.add(a);
                listener.alert(a);
            }
            case Topics.ROLLBACKS -> {
                RollbackActionEvent r = AvroCodec.of(RollbackActionEvent.class).decode(record.value());
                rollbacks.add(r);
                listener.rollback(r);
            }
            case Topics.ROLLOUTS -> {
                RolloutActionEvent r = AvroCodec.of(RolloutActionEvent.class).decode(record.value());
                rollouts.add(r);
                listener.rollout(r);
            }
            case Topics.FLAGS_CHANGES -> {
                FlagChangedEvent f = AvroCodec.of(FlagChangedEvent.class).decode(record.value());
                flagChanges.add(f);
                listener.flagChanged(f);
            }
            case Topics.TELEMETRY_DLQ -> late(record);
            default -> {}
        }
    }

    private void late(ConsumerRecord<String, byte[]> record) {
        Instant eventTime = lateEventTime(record);
        if (eventTime != null) {
            lateBySecond
                    .computeIfAbsent(eventTime.getEpochSecond(), second -> new LongAdder())
                    .increment();
        }
    }

    /**
     * The event time of a dead letter of metrics-ingest's lateness stage (docs/contracts.md, "Dead letters": code
     * {@code LATE}, the event re-encoded, its source topic in a header); null for any other dead letter.
     */
    static Instant lateEventTime(ConsumerRecord<String, byte[]> record) {
        if (!"LATE".equals(header(record, "rollguard.dlq.code")) || record.value() == null) {
            return null;
        }
        return Topics.TELEMETRY_UPLOAD.equals(header(record, "rollguard.dlq.source.topic"))
                ? AvroCodec.of(UploadEvent.class).decode(record.value()).getEventTime()
                : AvroCodec.of(SyncEvent.class).decode(record.value()).getEventTime();
    }

    private static String header(ConsumerRecord<String, byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    /**
     * Events with an event time at or after {@code from} and before {@code to} (whole seconds) that metrics-ingest
     * dead-lettered as late.
     */
    public long lateBetween(Instant from, Instant to) {
        return lateBySecond.subMap(from.getEpochSecond(), true, to.getEpochSecond(), false).values().stream()
                .mapToLong(LongAdder::sum)
                .sum();
    }

    public List<WindowMetricsEvent> windows() {
        return List.copyOf(windows);
    }

    public List<AlertEvent> alerts() {
        return List.copyOf(alerts);
    }

    public List<RollbackActionEvent> rollbacks() {
        return List.copyOf(rollbacks);
    }

    /** The promoter's steps (promote, extend, hold, revert), in the order they were published. */
    public List<RolloutActionEvent> rollouts() {
        return List.copyOf(rollouts);
    }

    public List<RolloutActionEvent> rollouts(Predicate<RolloutActionEvent> filter) {
        return rollouts.stream().filter(filter).toList();
    }

    public List<FlagChangedEvent> flagChanges() {
        return List.copyOf(flagChanges);
    }

    public List<AlertEvent> alerts(Predicate<AlertEvent> filter) {
        return alerts.stream().filter(filter).toList();
    }

    public List<RollbackActionEvent> rollbacks(Predicate<RollbackActionEvent> filter) {
        return rollbacks.stream().filter(filter).toList();
    }

    /** Tumbling global windows that start at or after {@code from} and end at or before {@code to}. */
    public List<WindowMetricsEvent> globalWindows(Instant from, Instant to) {
        return windows.stream()
                .filter(w -> w.getScopeType() == ScopeType.GLOBAL && w.getWindowKind() == WindowKind.TUMBLING)
                .filter(w ->
                        !w.getWindowStart().isBefore(from) && !w.getWindowEnd().isAfter(to))
                .toList();
    }

    /** The tumbling window of one flag cohort starting at {@code start}, if it was emitted. */
    public WindowMetricsEvent cohortWindow(String flagKey, Cohort cohort, Instant start) {
        return windows.stream()
                .filter(w -> w.getScopeType() == ScopeType.FLAG_COHORT && w.getWindowKind() == WindowKind.TUMBLING)
                .filter(w -> flagKey.equals(w.getFlagKey()) && w.getCohort() == cohort)
                .filter(w -> w.getWindowStart().equals(start))
                .findFirst()
                .orElse(null);
    }

    @Override
    public void close() {
        running = false;
        try {
            reader.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
