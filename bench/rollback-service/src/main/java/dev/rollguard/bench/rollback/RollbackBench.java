package dev.rollguard.bench.rollback;

import dev.rollguard.infra.Ports;
import dev.rollguard.infra.ResultsFile;
import dev.rollguard.infra.ServiceProcess;
import dev.rollguard.infra.SharedInfra;
import dev.rollguard.infra.StackSettings;
import dev.rollguard.infra.Tokens;
import dev.rollguard.schemas.Topics;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.event.AlertStatus;
import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.CohortComparison;
import dev.rollguard.schemas.event.RollbackActionEvent;
import dev.rollguard.schemas.event.RollbackOutcome;
import dev.rollguard.schemas.event.ScopeType;
import dev.rollguard.schemas.event.Severity;
import dev.rollguard.schemas.serde.AvroSerde;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Starts a real broker and PostgreSQL (embedded-infra), an instantaneous stub flag-service, and the packaged
 * rollback-service as its own process with the production environment variables; sends critical alerts for distinct
 * flags at a steady rate and reads the RollbackActionEvents back. Reports percentiles of each step in {@code
 * bench/results/rollback-service.md} (or the file {@code bench.output} names): each run replaces its section "Last
 * run" and adds a row to "Run history"; the file's other sections stay as they are.
 */
public final class RollbackBench {

    private static final String LAST_RUN = "Last run";
    private static final String HISTORY = "Run history";
    private static final String OPENING =
            """
            # rollback-service benchmark

            Written by `bench/rollback-service` (bench/rollback-service/README.md): each run replaces the section "Last
            run" and adds a row to "Run history"; every other section is kept as it is.
            """;
    private static final String HISTORY_HEAD =
            """
            One row per run, the newest last; the newest run's full figures are in "Last run", earlier ones' in the
            file's git history. Milliseconds, p50 / p99 after the warm-up alerts; load average: 1 minute, before / after the run.

            | run (UTC) | code | alerts | load avg | fired -> received | received -> changed | changed -> visible | received -> visible | produced -> event consumed |
            | --- | --- | --- | --- | --- | --- | --- | --- | --- |
            """;

    private RollbackBench() {}

    public static void main(String[] args) throws Exception {
        Path root = Path.of(System.getProperty("rollguard.root", "."))
                .toAbsolutePath()
                .normalize();
        int alerts = Integer.getInteger("bench.alerts", 300);
        int warmup = Integer.getInteger("bench.warmup", 30);
        int rate = Integer.getInteger("bench.rate", 5);
        String bootstrap = SharedInfra.kafkaBootstrap();
        int port = Ports.free();
        try (StubFlagService flags = new StubFlagService()) {
            Path log = root.resolve("bench/rollback-service/target/rollback-service.log");
            Tokens tokens = new Tokens(
                    "bench-admin-token", StubFlagService.SERVICE_TOKEN, StubFlagService.CLIENT_TOKEN, null, null, null);
            ServiceProcess service = ServiceProcess.packaged(root, "rollback-service")
                    .port(port)
                    .env(StackSettings.sharedInfra(tokens).environment("rollback-service"))
                    .env("ROLLBACK_SERVICE_FLAG_SERVICE_URL", flags.baseUrl())
                    .log(log)
                    .start();
            try {
                service.awaitReady();
                String loadBefore = loadAverage();
                Result result = run(bootstrap, alerts, warmup, rate);
                String loadAfter = loadAverage();
                Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
                String code = ResultsFile.codeVersion(root);
                String lastRun = lastRun(result, alerts, warmup, rate, flags.kills(), now, code)
                        + "Load average (1, 5, 15 min) before the run: " + loadBefore + ", after: " + loadAfter
                        + ". The build machine is shared: a load far above its core count means other builds ran"
                        + " at the same time and the figures are inflated.\n";
                String historyRow = historyRow(result, alerts, rate, now, code, loadBefore, loadAfter);
                System.out.println(lastRun + "\n" + historyRow);
                Path out = root.resolve(System.getProperty("bench.output", "bench/results/rollback-service.md"));
                ResultsFile.read(out, OPENING)
                        .replace(LAST_RUN, lastRun)
                        .addRow(HISTORY, HISTORY_HEAD, historyRow)
                        .write();
                System.out.println("written to " + out);
            } finally {
                service.stop();
            }
        }
        System.exit(0);
    }

    private record Sample(String flag, long sentAtNanos, Instant sentAt) {}

    private record Result(
            List<Long> firedToReceived,
            List<Long> receivedToChanged,
            List<Long> changedToVisible,
            List<Long> receivedToVisible,
            List<Long> sentToEvent,
            int applied,
            int events,
            double appliedPerSecond) {}

    private static Result run(String bootstrap, int alerts, int warmup, int rate) throws Exception {
        Properties producerProps = new Properties();
        producerProps.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
        producerProps.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        Properties consumerProps = new Properties();
        consumerProps.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        consumerProps.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-" + UUID.randomUUID());
        consumerProps.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        Map<String, Sample> sent = new HashMap<>();
        List<Long> firedToReceived = new ArrayList<>();
        List<Long> receivedToChanged = new ArrayList<>();
        List<Long> changedToVisible = new ArrayList<>();
        List<Long> receivedToVisible = new ArrayList<>();
        List<Long> sentToEvent = new ArrayList<>();
        int applied = 0;
        int events = 0;
        Instant firstReceived = null;
        Instant lastReceived = null;
        try (KafkaProducer<String, AlertEvent> producer = new KafkaProducer<>(
                        producerProps,
                        new StringSerializer(),
                        AvroSerde.of(AlertEvent.class).serializer());
                KafkaConsumer<String, RollbackActionEvent> consumer = new KafkaConsumer<>(
                        consumerProps,
                        new StringDeserializer(),
                        AvroSerde.of(RollbackActionEvent.class).deserializer())) {
            consumer.subscribe(List.of(Topics.ROLLBACKS));
            while (consumer.assignment().isEmpty()) {
                consumer.poll(Duration.ofMillis(100));
            }
            long intervalNanos = TimeUnit.SECONDS.toNanos(1) / rate;
            long next = System.nanoTime();
            int index = 0;
            long deadline = Long.MAX_VALUE;
            while (events < alerts && System.nanoTime() < deadline) {
                if (index < alerts && System.nanoTime() >= next) {
                    String flag = "bench-" + index + "-" + UUID.randomUUID();
                    Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
                    sent.put(flag, new Sample(flag, System.nanoTime(), now));
                    producer.send(new ProducerRecord<>(Topics.ALERTS, "fp-" + flag, alert(flag, now)));
                    index++;
                    next += intervalNanos;
                    if (index == alerts) {
                        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                    }
                }
                for (ConsumerRecord<String, RollbackActionEvent> record : consumer.poll(Duration.ofMillis(2))) {
                    long arrived = System.nanoTime();
                    RollbackActionEvent event = record.value();
                    Sample sample = event.getFlagKey() == null ? null : sent.get(event.getFlagKey());
                    if (sample == null) {
                        continue;
                    }
                    events++;
                    int number = Integer.parseInt(event.getFlagKey().split("-")[1]);
                    if (event.getOutcome() != RollbackOutcome.APPLIED) {
                        continue;
                    }
                    applied++;
                    if (firstReceived == null || event.getAlertReceivedAt().isBefore(firstReceived)) {
                        firstReceived = event.getAlertReceivedAt();
                    }
                    if (lastReceived == null || event.getAlertReceivedAt().isAfter(lastReceived)) {
                        lastReceived = event.getAlertReceivedAt();
                    }
                    if (number < warmup) {
                        continue;
                    }
                    firedToReceived.add(millis(event.getAlertFiredAt(), event.getAlertReceivedAt()));
                    receivedToChanged.add(millis(event.getAlertReceivedAt(), event.getFlagChangedAt()));
                    if (event.getVisibleAt() != null) {
                        changedToVisible.add(millis(event.getFlagChangedAt(), event.getVisibleAt()));
                        receivedToVisible.add(millis(event.getAlertReceivedAt(), event.getVisibleAt()));
                    }
                    sentToEvent.add(TimeUnit.NANOSECONDS.toMillis(arrived - sample.sentAtNanos()));
                }
            }
        }
        double seconds = firstReceived == null
                ? 0
                : Duration.between(firstReceived, lastReceived).toMillis() / 1000.0;
        return new Result(
                firedToReceived,
                receivedToChanged,
                changedToVisible,
                receivedToVisible,
                sentToEvent,
                applied,
                events,
                seconds <= 0 ? 0 : (applied - 1) / seconds);
    }

    private static AlertEvent alert(String flag, Instant now) {
        return AlertEvent.newBuilder()
                .setAlertId(UUID.randomUUID().toString())
                .setFingerprint("fp-" + flag)
                .setStatus(AlertStatus.FIRING)
                .setSeverity(Severity.CRITICAL)
                .setRuleId("bench")
                .setRuleName("bench rule")
                .setMetric("uploadFailureRate")
                .setComparator("WORSE_THAN_CONTROL")
                .setThreshold(0.02)
                .setObservedValue(0.3)
                .setSampleSize(1000)
                .setScopeType(ScopeType.FLAG_COHORT)
                .setScopeKey("flag:" + flag)
                .setFlagKey(flag)
                .setCohort(Cohort.TREATMENT)
                .setFirstBreachAt(now.minusSeconds(10))
                .setWindowClosedAt(now)
                .setStartsAt(now)
                .setEmittedAt(now)
                .setComparison(CohortComparison.newBuilder()
                        .setTreatmentValue(0.3)
                        .setControlValue(0.01)
                        .setTreatmentSamples(1000)
                        .setControlSamples(9000)
                        .setMethod("two-proportion-z")
                        .build())
                .build();
    }

    private static long millis(Instant from, Instant to) {
        return Duration.between(from, to).toMillis();
    }

    private static String lastRun(
            Result r, int alerts, int warmup, int rate, long kills, Instant measured, String code) {
        StringBuilder md = new StringBuilder()
                .append("Measured ")
                .append(measured)
                .append(" with `./mvnw -f bench/rollback-service/pom.xml compile exec:exec`")
                .append(" on ")
                .append(Runtime.getRuntime().availableProcessors())
                .append(" cores, Java ")
                .append(System.getProperty("java.version"))
                .append(", code ")
                .append(code)
                .append(".\n\n")
                .append("The packaged rollback-service (`java -jar quarkus-run.jar`, production configuration from the")
                .append(
                        " environment) against a real Kafka broker and PostgreSQL (embedded-infra) and an instantaneous")
                .append(" stub flag-service (kill committed and visible on OFREP at once), so the figures are the")
                .append(" rollback-service's own share. ")
                .append(alerts)
                .append(" critical alerts for distinct flags (policy KILL) at ")
                .append(rate)
                .append(" alerts/s; the first ")
                .append(warmup)
                .append(" are JIT warm-up and not counted. Events received: ")
                .append(r.events())
                .append(", APPLIED: ")
                .append(r.applied())
                .append(", effective kills at the flag-service: ")
                .append(kills)
                .append(". Rate of handled alerts between the first and the last received: ")
                .append(String.format(java.util.Locale.ROOT, "%.1f", r.appliedPerSecond()))
                .append(" alerts/s (alerts are handled one at a time, in order).\n\n")
                .append("| step (ms) | n | p50 | p90 | p99 | max |\n| --- | --- | --- | --- | --- | --- |\n");
        row(md, "alert fired (produced) -> received by the guard", r.firedToReceived());
        row(md, "alert received -> flag changed (flag-service commit)", r.receivedToChanged());
        row(md, "flag changed -> seen DISABLED on OFREP (20 ms poll)", r.changedToVisible());
        row(md, "alert received -> visible on OFREP", r.receivedToVisible());
        row(md, "alert produced -> RollbackActionEvent consumed", r.sentToEvent());
        return md.append('\n').toString();
    }

    /** One row of the run history: when, what code, the load, and p50 / p99 of each step. */
    private static String historyRow(
            Result r, int alerts, int rate, Instant measured, String code, String loadBefore, String loadAfter) {
        return "| " + measured.toString().replace('T', ' ').replace("Z", "") + " | " + code + " | " + alerts + " at "
                + rate + "/s | " + loadBefore.split(",")[0] + " / " + loadAfter.split(",")[0] + " | "
                + p50p99(r.firedToReceived()) + " | " + p50p99(r.receivedToChanged()) + " | "
                + p50p99(r.changedToVisible()) + " | " + p50p99(r.receivedToVisible()) + " | "
                + p50p99(r.sentToEvent()) + " |";
    }

    private static String p50p99(List<Long> values) {
        if (values.isEmpty()) {
            return "-";
        }
        List<Long> sorted = new ArrayList<>(values);
        sorted.sort(Long::compare);
        return percentile(sorted, 0.5) + " / " + percentile(sorted, 0.99);
    }

    private static void row(StringBuilder md, String name, List<Long> values) {
        List<Long> sorted = new ArrayList<>(values);
        sorted.sort(Long::compare);
        md.append("| ").append(name).append(" | ").append(sorted.size());
        for (double q : new double[] {0.5, 0.9, 0.99}) {
            md.append(" | ").append(sorted.isEmpty() ? "-" : Long.toString(percentile(sorted, q)));
        }
        md.append(" | ")
                .append(sorted.isEmpty() ? "-" : Long.toString(sorted.get(sorted.size() - 1)))
                .append(" |\n");
    }

    /** Nearest-rank percentile. */
    private static long percentile(List<Long> sorted, double q) {
        int rank = (int) Math.ceil(q * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
    }

    private static String loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return fields[0] + ", " + fields[1] + ", " + fields[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }
}
