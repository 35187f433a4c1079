package dev.rollguard.bench.ingest;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * The cost table: the aggregation run of {@link IngestBench} (no live phase, its pass-through reference included) once
 * per configuration, each in a fresh JVM with its own broker so that its CPU and memory are its own, and one table of
 * the figures appended to the results file. A configuration is {@code flags/ramping/clients-per-hour/stream-threads};
 * {@code -Dbench.sweep=default} runs the configurations of {@link #DEFAULT}.
 */
final class CostSweep {

    /** Flags (2, 20, 200), ramping flags among 200, distinct clients per hour, and 1, 2, 3 stream threads. */
    static final String DEFAULT = "2/2/1000000/2,20/20/1000000/2,200/20/1000000/2,200/2/1000000/2,"
            + "200/20/10000/2,200/20/100000/2,200/20/1000000/1,200/20/1000000/3";

    static void run(String sweep, Path results) throws Exception {
        String spec = "default".equals(sweep) ? DEFAULT : sweep;
        int events = Integer.getInteger("bench.sweep.events", 100_000);
        List<Properties> rows = new ArrayList<>();
        for (String config : spec.split(",")) {
            String[] parts = config.strip().split("/");
            if (parts.length != 4) {
                throw new IllegalArgumentException(
                        "a sweep configuration is flags/ramping/clients-per-hour/threads, not " + config);
            }
            Path row = Files.createTempFile("ingest-cost", ".properties");
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx2g",
                    "-Djava.util.logging.manager=org.jboss.logmanager.LogManager",
                    "-Dbench.events=" + events,
                    "-Dbench.flags=" + parts[0],
                    "-Dbench.ramping=" + parts[1],
                    "-Dbench.clients-per-hour=" + parts[2],
                    "-Dbench.threads=" + parts[3],
                    "-Dbench.row-file=" + row));
            command.addAll(IngestBench.sharedOptions());
            command.addAll(List.of("-cp", System.getProperty("java.class.path"), IngestBench.class.getName()));
            System.out.printf("cost sweep: %s (load average %s)%n", config, IngestBench.loadAverage());
            Process child = new ProcessBuilder(command).inheritIO().start();
            int exit = child.waitFor();
            Properties p = new Properties();
            try (Reader in = Files.newBufferedReader(row)) {
                p.load(in);
            }
            Files.deleteIfExists(row);
            if (exit != 0 || p.isEmpty()) {
                throw new IllegalStateException("the run " + config + " failed (exit " + exit + ")");
            }
            rows.add(p);
        }
        String report = table(spec, events, rows);
        Files.createDirectories(results.toAbsolutePath().getParent());
        Files.writeString(results, "\n" + report, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        System.out.println(report);
    }

    static String table(String spec, int events, List<Properties> rows) throws IOException {
        StringBuilder out = new StringBuilder("## Cost table\n\nMeasured ")
                .append(DateTimeFormatter.ISO_LOCAL_DATE_TIME.format(
                        Instant.now().atOffset(ZoneOffset.UTC).withNano(0)))
                .append(" UTC on this machine (")
                .append(Runtime.getRuntime().availableProcessors())
                .append(" cores, Java ")
                .append(System.getProperty("java.version"))
                .append(
                        "). Each row is one JVM with its own embedded Kafka 4.1.1 broker: Kafka's `ProducerPerformance`")
                .append(" with ")
                .append(events)
                .append(" records of the mean event size (after the JIT's warm-up below and a discarded run of ")
                .append(IngestBench.warmupEvents(events))
                .append("), then a Kafka Streams pass-through and after it the topology (exactly_once_v2, commit")
                .append(" interval ")
                .append(IngestBench.COMMIT_MS)
                .append(" ms, ")
                .append(IngestBench.PARTITIONS)
                .append(" partitions, 1 min windows + hopping, at most ")
                .append(IngestBench.MAX_CLIENTS_PER_COHORT)
                .append(" tracked clients per cohort and task), each draining the same ")
                .append(events)
                .append(" preloaded events (after the JIT's warm-up: both first drained ")
                .append(IngestBench.jitWarmupEvents(events))
                .append(" events of topics of their own in the same JVM, discarded, closed and their state deleted),")
                .append(" timed from the last look at its committed input before that passed the first ")
                .append(IngestBench.warmupEvents(events))
                .append(" (the warm-up share ")
                .append(IngestBench.WARMUP_SHARE)
                .append(
                        ", so the figures leave out the start; CPU over the same span, and the JIT's compilation time in")
                .append(" each of the three timed spans, in ms a second: the JIT is still compiling the broker's, the")
                .append(" clients' and Kafka Streams' code then, though each span starts only once the compilations")
                .append(" queued before it are done, the JIT compiling less than ")
                .append(IngestBench.JIT_QUIET_MS)
                .append(" ms in ")
                .append(IngestBench.JIT_QUIET_SPAN.toSeconds())
                .append(" s, or after at most ")
                .append(IngestBench.JIT_QUIET_MAX.toSeconds())
                .append(" s of waiting) (")
                .append(IngestBench.EVENT_RATE)
                .append(" per second of event time; a client stays ")
                .append(IngestBench.Generator.SESSION_MS / 1000)
                .append(" s; half report exposures of the first ")
                .append(IngestBench.Generator.EXPOSURES_PER_EVENT)
                .append(" flags (every ramping one), half")
                .append(" are bucketed by the pipeline). The pass-through is a Kafka Streams application with the")
                .append(
                        " topology's framework costs and none of its work (the same exactly_once_v2 transactions, commit")
                .append(" interval and stream threads, a consumer and a producer per thread, its own application id),")
                .append(" forwarding each event unchanged as bytes to one topic of ")
                .append(IngestBench.PARTITIONS)
                .append(" partitions, closed and its state deleted before the topology starts: it is Kafka Streams'")
                .append(" own ceiling on this machine for this input, so `pass-through / producer` is what the")
                .append(" framework costs against the bare producer and `aggregation / pass-through` what the")
                .append(" topology's own work leaves of that ceiling.")
                .append(" Flags beyond the ramping ones are disabled, 0 %, 100 % or")
                .append(" killed in turn. CPU and memory are the whole JVM's (broker included). Per hour: the window")
                .append(" stores' changelogs scaled linearly from the event time covered to one hour; the per-client")
                .append(
                        " state (`client-stages`) as its formula, clients per hour x records per client x bytes a record, both")
                .append(" measured in the run (compacted changelog), so a TTL of h hours holds h times that.\n")
                .append("Run with `./mvnw -f bench/metrics-ingest/pom.xml compile exec:exec -Dbench.sweep=")
                .append(spec)
                .append(" -Dbench.sweep.events=")
                .append(events)
                .append(' ')
                .append(String.join(" ", IngestBench.sharedOptions()))
                .append("`.\n\n")
                .append("| flags | ramping | clients / h | stream threads | event size | producer (records/s) |")
                .append(" aggregation (events/s) | / producer | pass-through (events/s) | pass-through / producer |")
                .append(
                        " aggregation / pass-through | CPU (cores) | JIT (ms/s): producer / pass-through / aggregation |")
                .append(" RSS / peak RSS / heap | state dir:")
                .append(
                        " run | changelogs: run / window stores per h | per-client state: clients / records (one a client)")
                .append(" / bytes a record / per h |")
                .append(" load before / after |\n")
                .append(
                        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
                .append(" --- | --- |\n");
        for (Properties p : rows) {
            double span = Double.parseDouble(p.getProperty("eventTimeSpanMs"));
            double perHour = 3_600_000.0 / span;
            long state = Long.parseLong(p.getProperty("stateDirBytes"));
            long changelog = Long.parseLong(p.getProperty("changelogBytes"));
            long clientChangelog = Long.parseLong(p.getProperty("changelog." + Cost.CLIENT_STAGES, "0"));
            long clients = Long.parseLong(p.getProperty("distinctClients"));
            double clientsPerHour = Double.parseDouble(p.getProperty("clientsPerHour"));
            long keys = Long.parseLong(p.getProperty("clientStageKeys"));
            long liveBytes = Long.parseLong(p.getProperty("clientStageLiveBytes"));
            double producer = Double.parseDouble(p.getProperty("producer"));
            double aggregation = Double.parseDouble(p.getProperty("aggregation"));
            double passThrough = Double.parseDouble(p.getProperty("passThrough"));
            out.append("| ")
                    .append(p.getProperty("flags"))
                    .append(" | ")
                    .append(p.getProperty("ramping"))
                    .append(" | ")
                    .append(p.getProperty("clientsPerHour"))
                    .append(" | ")
                    .append(p.getProperty("threads"))
                    .append(" | ")
                    .append(p.getProperty("eventSize"))
                    .append(" B | ")
                    .append(p.getProperty("producer"))
                    .append(" | ")
                    .append(p.getProperty("aggregation"))
                    .append(" | ")
                    .append(String.format("%.2f", aggregation / producer))
                    .append(" | ")
                    .append(p.getProperty("passThrough"))
                    .append(" | ")
                    .append(String.format("%.2f", passThrough / producer))
                    .append(" | ")
                    .append(String.format("%.2f", aggregation / passThrough))
                    .append(" | ")
                    .append(p.getProperty("cpuCores"))
                    .append(" | ")
                    .append(p.getProperty("producerJitMsPerS", "-"))
                    .append(" / ")
                    .append(p.getProperty("passThroughJitMsPerS", "-"))
                    .append(" / ")
                    .append(p.getProperty("jitMsPerS", "-"))
                    .append(" | ")
                    .append(Cost.mb(Long.parseLong(p.getProperty("rssBytes"))))
                    .append(" / ")
                    .append(Cost.mb(Long.parseLong(p.getProperty("peakRssBytes"))))
                    .append(" / ")
                    .append(Cost.mb(Long.parseLong(p.getProperty("heapUsedBytes"))))
                    .append(" | ")
                    .append(Cost.mb(state))
                    .append(" | ")
                    .append(Cost.mb(changelog))
                    .append(" / ")
                    .append(Cost.mb((long) ((changelog - clientChangelog) * perHour)))
                    .append(" | ")
                    .append(clients)
                    .append(" / ")
                    .append(keys)
                    .append(" / ")
                    .append(keys == 0 ? "-" : String.format("%.0f", liveBytes / (double) keys))
                    .append(" / ")
                    .append(Cost.mb((long) (clientsPerHour
                            * keys
                            / Math.max(1, clients)
                            * (keys == 0 ? 0 : liveBytes / (double) keys))))
                    .append(" | ")
                    .append(p.getProperty("loadBefore"))
                    .append(" / ")
                    .append(p.getProperty("loadAfter"))
                    .append(" |\n");
        }
        out.append("\nChangelog bytes by store, per row: ");
        for (Properties p : rows) {
            StringBuilder stores = new StringBuilder();
            p.stringPropertyNames().stream()
                    .filter(k -> k.startsWith("changelog."))
                    .sorted()
                    .forEach(k -> stores.append(k.substring("changelog.".length()))
                            .append(' ')
                            .append(Cost.mb(Long.parseLong(p.getProperty(k))))
                            .append("; "));
            out.append("\n- ")
                    .append(p.getProperty("flags"))
                    .append('/')
                    .append(p.getProperty("ramping"))
                    .append('/')
                    .append(p.getProperty("clientsPerHour"))
                    .append('/')
                    .append(p.getProperty("threads"))
                    .append(" (")
                    .append(String.format(
                            "%.1f s of event time, %s distinct clients",
                            Double.parseDouble(p.getProperty("eventTimeSpanMs")) / 1000,
                            p.getProperty("distinctClients")))
                    .append("): ")
                    .append(stores);
        }
        out.append('\n');
        return out.toString();
    }

    private CostSweep() {}
}
