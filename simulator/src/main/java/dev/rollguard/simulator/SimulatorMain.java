package dev.rollguard.simulator;

import dev.rollguard.client.HttpTelemetryTransport;
import dev.rollguard.client.KafkaTelemetryTransport;
import dev.rollguard.client.TelemetryTransport;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.ProducerConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Generates telemetry load from virtual clients on its own: {@code simulate --clients 2000 --rate 500}. */
@Command(
        name = "simulate",
        mixinStandardHelpOptions = true,
        description = "Virtual clients that look up their flags over OFREP and publish sync/upload telemetry to Kafka.")
public final class SimulatorMain implements Callable<Integer> {

    @Option(
            names = "--bootstrap",
            defaultValue = "${env:ROLLGUARD_KAFKA_BOOTSTRAP:-127.0.0.1:19092}",
            description = "Kafka bootstrap servers (default ${DEFAULT-VALUE}).")
    String bootstrap;

    @Option(
            names = "--flag-service",
            defaultValue = "${env:ROLLGUARD_FLAG_SERVICE_URL:-http://127.0.0.1:8081}",
            description = "flag-service URL (default ${DEFAULT-VALUE}).")
    String flagService;

    @Option(
            names = "--client-token",
            defaultValue = "${env:ROLLGUARD_CLIENT_TOKEN}",
            required = true,
            description = "Client token for OFREP (default: $ROLLGUARD_CLIENT_TOKEN).")
    String clientToken;

    @Option(names = "--clients", defaultValue = "2000", description = "Virtual clients (default ${DEFAULT-VALUE}).")
    int clients;

    @Option(
            names = "--rate",
            defaultValue = "400",
            description = "Events per second over all clients (default ${DEFAULT-VALUE}).")
    double rate;

    @Option(
            names = "--duration",
            defaultValue = "60s",
            description = "How long to run, e.g. 90s, 5m (default ${DEFAULT-VALUE}).")
    String duration;

    @Option(
            names = "--upload-share",
            defaultValue = "0.4",
            description = "Share of uploads among events (default ${DEFAULT-VALUE}).")
    double uploadShare;

    @Option(
            names = "--duplicate-share",
            defaultValue = "0.01",
            description = "Share of events re-sent with the same id (default ${DEFAULT-VALUE}).")
    double duplicateShare;

    @Option(
            names = "--failure-rate",
            defaultValue = "0.01",
            description = "Baseline failure probability (default ${DEFAULT-VALUE}).")
    double failureRate;

    @Option(
            names = "--fail",
            description =
                    "Extra failure for clients served a variant: FLAG=VARIANT:RATE, e.g. offline-recording=on:0.3. Repeatable.")
    List<String> failures = List.of();

    @Option(names = "--flag", description = "Report exposures only of these flags (default: every flag served).")
    Set<String> flags = Set.of();

    @Option(
            names = "--client-library",
            description =
                    "Evaluate each --flag with the OpenFeature SDK (OFREP provider, Rollguard exposure hook) and send"
                            + " through the Rollguard Java client, as an app does, instead of the simulator's own lookup and"
                            + " producer.")
    boolean clientLibrary;

    @Option(
            names = "--transport",
            defaultValue = "kafka",
            description = "With --client-library: kafka (Avro to the telemetry topics) or http (POST /api/telemetry of"
                    + " --ingest) (default ${DEFAULT-VALUE}).")
    String transport;

    @Option(
            names = "--ingest",
            defaultValue = "${env:ROLLGUARD_METRICS_INGEST_URL:-http://127.0.0.1:8082}",
            description = "metrics-ingest URL, for --transport http (default ${DEFAULT-VALUE}).")
    String ingest;

    @Option(
            names = "--producer-token",
            defaultValue = "${env:ROLLGUARD_PRODUCER_TOKEN}",
            description = "Producer token, for --transport http (default: $ROLLGUARD_PRODUCER_TOKEN).")
    String producerToken;

    @Option(
            names = "--refresh",
            defaultValue = "2s",
            description = "How often each client re-evaluates its flags (default ${DEFAULT-VALUE}).")
    String refresh;

    public static void main(String[] args) {
        System.exit(new CommandLine(new SimulatorMain()).execute(args));
    }

    @Override
    public Integer call() throws InterruptedException {
        if (clientLibrary && flags.isEmpty()) {
            throw new CommandLine.ParameterException(
                    new CommandLine(this), "--client-library evaluates the --flag flags: name at least one");
        }
        HealthModel health = new HealthModel(failureRate, 800);
        for (String spec : failures) {
            health.set(parseFailure(spec));
        }
        var settings = new TelemetrySimulator.Settings(
                clients, rate, uploadShare, duplicateShare, Durations.parse(refresh), flags, List.of(), 42);
        Duration runFor = Durations.parse(duration);
        try (var simulator = clientLibrary
                ? new TelemetrySimulator(
                        settings, health, new ClientLibraryPath(flagService, clientToken, flags, telemetryTransport()))
                : new TelemetrySimulator(settings, health, new FlagLookup(flagService, clientToken), bootstrap)) {
            System.out.printf(
                    "%d clients, %.0f events/s for %s -> %s%n",
                    clients,
                    rate,
                    duration,
                    clientLibrary ? "the Rollguard Java client (" + transport + ")" : bootstrap);
            simulator.start();
            long end = System.nanoTime() + runFor.toNanos();
            while (System.nanoTime() < end) {
                Thread.sleep(Math.min(5_000, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
                System.out.printf(
                        "acknowledged %,d events (%,d duplicates), %d send failures, %d lookup failures%n",
                        simulator.acked(),
                        simulator.duplicatesAcked(),
                        simulator.sendFailures(),
                        simulator.lookupFailures());
            }
            simulator.stop();
            System.out.printf(
                    "done: %,d distinct events %s%n",
                    simulator.acked(),
                    clientLibrary ? "delivered by the Rollguard client" : "acknowledged by the broker");
            return simulator.sendFailures() == 0 ? 0 : 1;
        }
    }

    private TelemetryTransport telemetryTransport() {
        return switch (transport) {
            case "kafka" ->
                new KafkaTelemetryTransport(
                        Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap), Duration.ofSeconds(10));
            case "http" -> {
                if (producerToken == null || producerToken.isBlank()) {
                    throw new CommandLine.ParameterException(
                            new CommandLine(this), "--transport http needs --producer-token");
                }
                yield new HttpTelemetryTransport(URI.create(ingest), producerToken, Duration.ofSeconds(10));
            }
            default ->
                throw new CommandLine.ParameterException(
                        new CommandLine(this), "--transport is kafka or http, got " + transport);
        };
    }

    static HealthModel.Condition parseFailure(String spec) {
        var m = java.util.regex.Pattern.compile("([a-z0-9.\\-]+)=([^:]+):([0-9.]+)")
                .matcher(spec);
        if (!m.matches()) {
            throw new CommandLine.ParameterException(
                    new CommandLine(new SimulatorMain()), "--fail expects FLAG=VARIANT:RATE, got " + spec);
        }
        return new HealthModel.Condition(
                spec, m.group(1), m.group(2), HealthModel.Kind.ANY, Double.parseDouble(m.group(3)), 0);
    }
}
