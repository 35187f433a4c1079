package dev.rollguard.bench.ingest;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.ReplicaInfo;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * What one aggregation run cost: CPU, memory, the state on disk and in the changelogs, and the guard's per-client
 * state ({@code client-stages}) read back from its changelog as compaction would leave it.
 */
record Cost(
        double cpuCores,
        long rssBytes,
        long peakRssBytes,
        long heapUsedBytes,
        long stateDirBytes,
        Map<String, Long> changelogBytes,
        long eventTimeSpanMs,
        int distinctClients,
        int ramping,
        long clientStageKeys,
        long clientStageLiveBytes) {

    static final String CLIENT_STAGES = "client-stages";

    /**
     * Milliseconds the JIT compilers spent compiling since the JVM started (summed over its compiler threads), so the
     * difference over the timed span says whether the JIT had settled.
     */
    static long jitMillis() {
        return ManagementFactory.getCompilationMXBean().getTotalCompilationTime();
    }

    static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    static Cost measure(
            String bootstrap, String appId, Path stateDir, long cpuNanos, long wallNanos, IngestBench.Generator g)
            throws Exception {
        long rss = procStatus("VmRSS:");
        long peak = procStatus("VmHWM:");
        System.gc();
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        Map<String, Long> changelogs = new TreeMap<>();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            List<Integer> brokers = admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).stream()
                    .map(Node::id)
                    .toList();
            for (Map<String, LogDirDescription> dirs : admin.describeLogDirs(brokers)
                    .allDescriptions()
                    .get(10, TimeUnit.SECONDS)
                    .values()) {
                for (LogDirDescription dir : dirs.values()) {
                    for (Map.Entry<TopicPartition, ReplicaInfo> replica :
                            dir.replicaInfos().entrySet()) {
                        String topic = replica.getKey().topic();
                        if (topic.startsWith(appId + "-") && topic.endsWith("-changelog")) {
                            String store = topic.substring(appId.length() + 1, topic.length() - "-changelog".length());
                            changelogs.merge(store, replica.getValue().size(), Long::sum);
                        }
                    }
                }
            }
        }
        long[] live = liveSet(bootstrap, appId + "-" + CLIENT_STAGES + "-changelog");
        return new Cost(
                cpuNanos / (double) wallNanos,
                rss,
                peak,
                heap,
                directorySize(stateDir),
                changelogs,
                Math.max(1, g.lastEventMs - g.firstEventMs + 1),
                g.clients.size(),
                g.ramping,
                live[0],
                live[1]);
    }

    /** Keys and bytes (key + value) of a changelog topic once compacted: the latest value of each live key. */
    static long[] liveSet(String bootstrap, String topic) {
        Map<String, Integer> sizes = new HashMap<>();
        try (var consumer = new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrap,
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                        "read_committed",
                        ConsumerConfig.MAX_POLL_RECORDS_CONFIG,
                        5000),
                new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
            while (System.nanoTime() < deadline
                    && partitions.stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp))) {
                for (var record : consumer.poll(Duration.ofMillis(200))) {
                    String key = record.partition() + "/"
                            + new String(record.key(), java.nio.charset.StandardCharsets.UTF_8);
                    if (record.value() == null) {
                        sizes.remove(key);
                    } else {
                        sizes.put(key, record.key().length + record.value().length);
                    }
                }
            }
        }
        return new long[] {
            sizes.size(), sizes.values().stream().mapToLong(Integer::longValue).sum()
        };
    }

    static long directorySize(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile)
                    .mapToLong(f -> {
                        try {
                            return Files.size(f);
                        } catch (IOException e) {
                            return 0; // a RocksDB file compacted away while walking
                        }
                    })
                    .sum();
        }
    }

    /** A size field of /proc/self/status, in bytes (0 where there is none). */
    static long procStatus(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field)) {
                    return Long.parseLong(line.substring(field.length()).trim().split("\\s+")[0]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        return 0;
    }

    long changelogTotal() {
        return changelogBytes.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Scales a size measured over this run's event time to one hour of event time. */
    double perHour(long bytes) {
        return bytes * 3_600_000.0 / eventTimeSpanMs;
    }

    Properties toProperties() {
        Properties p = new Properties();
        p.setProperty("cpuCores", String.format("%.2f", cpuCores));
        p.setProperty("rssBytes", Long.toString(rssBytes));
        p.setProperty("peakRssBytes", Long.toString(peakRssBytes));
        p.setProperty("heapUsedBytes", Long.toString(heapUsedBytes));
        p.setProperty("stateDirBytes", Long.toString(stateDirBytes));
        p.setProperty("changelogBytes", Long.toString(changelogTotal()));
        changelogBytes.forEach((store, bytes) -> p.setProperty("changelog." + store, Long.toString(bytes)));
        p.setProperty("eventTimeSpanMs", Long.toString(eventTimeSpanMs));
        p.setProperty("distinctClients", Integer.toString(distinctClients));
        p.setProperty("clientStageKeys", Long.toString(clientStageKeys));
        p.setProperty("clientStageLiveBytes", Long.toString(clientStageLiveBytes));
        return p;
    }

    String rows() {
        StringBuilder out = new StringBuilder();
        out.append(IngestBench.row(
                "CPU during the aggregation (benchmark JVM: broker and topology)",
                String.format("%.2f cores", cpuCores)));
        out.append(IngestBench.row(
                "memory after the aggregation: RSS / peak RSS / heap used after GC",
                mb(rssBytes) + " / " + mb(peakRssBytes) + " / " + mb(heapUsedBytes)));
        out.append(IngestBench.row(
                "event time covered / distinct clients in it",
                String.format("%.1f s / %d", eventTimeSpanMs / 1000.0, distinctClients)));
        out.append(IngestBench.row(
                "state directory on disk: measured / per hour of event time",
                mb(stateDirBytes) + " / " + mb((long) perHour(stateDirBytes))));
        out.append(IngestBench.row(
                "changelog topics: measured / per hour of event time",
                mb(changelogTotal()) + " / " + mb((long) perHour(changelogTotal())) + " (" + changelogBytes + ")"));
        out.append(IngestBench.row(
                "per-client state (`client-stages`, compacted, one record a client with its state in each of the "
                        + ramping
                        + " ramping flags): records / bytes / bytes a record; distinct clients",
                String.format(
                        "%d / %s / %.0f; %d",
                        clientStageKeys,
                        mb(clientStageLiveBytes),
                        clientStageKeys == 0 ? 0.0 : clientStageLiveBytes / (double) clientStageKeys,
                        distinctClients)));
        return out.toString();
    }

    static String mb(long bytes) {
        return String.format("%.1f MB", bytes / 1e6);
    }
}
