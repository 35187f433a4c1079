package dev.rollguard.infra;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The four packaged services (or those a test names) running as separate processes, as {@code bin/rollguard up} runs
 * them ({@link ServiceProcess}, {@link StackSettings}), on the test JVM's real Kafka broker and PostgreSQL server
 * ({@link SharedInfra}). Each gets a free HTTP port; logs go to {@code <caller module>/target/stack-logs}. Used by the
 * end-to-end, browser and client tests.
 */
public final class ServiceStack implements AutoCloseable {

    private static final Tokens TOKENS = Tokens.random("e2e");

    public static final String ADMIN_TOKEN = TOKENS.admin();
    public static final String SERVICE_TOKEN = TOKENS.service();
    public static final String CLIENT_TOKEN = TOKENS.client();
    public static final String PRODUCER_TOKEN = TOKENS.producer();

    private final Path root;
    private final Path logs;
    private final StackSettings settings;
    private final Map<String, Integer> ports = new LinkedHashMap<>();
    private final Map<String, ServiceProcess> processes = new LinkedHashMap<>();

    private ServiceStack(Path root) {
        this.root = root;
        this.logs = Path.of("target", "stack-logs").toAbsolutePath();
        this.settings = StackSettings.sharedInfra(TOKENS);
    }

    /**
     * Starts the services with the given extra system properties per service (timings shortened for the test) and
     * waits until every one is ready.
     */
    public static ServiceStack start(Map<String, List<String>> properties) {
        return start(List.of("flag-service", "metrics-ingest", "alert-service", "rollback-service"), properties);
    }

    /**
     * Starts only these services (e.g. flag-service and metrics-ingest for a client's test: the guard and the
     * rollbacks are not needed to evaluate flags and count telemetry), as {@link #start(Map)} does.
     */
    public static ServiceStack start(List<String> services, Map<String, List<String>> properties) {
        Path root = Path.of(System.getProperty("rollguard.root", ".."))
                .toAbsolutePath()
                .normalize();
        ServiceStack stack = new ServiceStack(root);
        for (String service : services) {
            stack.ports.put(service, Ports.free());
        }
        try {
            for (String service : stack.ports.keySet()) {
                stack.launch(service, properties.getOrDefault(service, List.of()), false);
            }
            for (ServiceProcess process : new ArrayList<>(stack.processes.values())) {
                process.awaitReady();
            }
        } catch (RuntimeException e) {
            stack.close();
            throw e;
        }
        return stack;
    }

    /** Base URL of a service, e.g. {@code http://127.0.0.1:41234}. */
    public String url(String service) {
        return "http://127.0.0.1:" + ports.get(service);
    }

    public Path log(String service) {
        return logs.resolve(service + ".log");
    }

    private void launch(String service, List<String> extraProperties, boolean restart) {
        ServiceProcess.Builder builder = ServiceProcess.packaged(root, service)
                .port(ports.get(service))
                .jvmArgs(List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"))
                .env(settings.environment(service))
                .log(log(service));
        if (restart) {
            builder.appendLog();
        }
        if (service.equals("rollback-service")) {
            builder.property("rollback-service.flag-service.url", url("flag-service"));
            // The promoter reads the guard's verdicts there; without it, it would look at the default port.
            builder.property("rollback-service.alert-service.url", url("alert-service"));
        }
        processes.put(service, builder.properties(extraProperties).start());
    }

    /** Stops one service as an operator would (SIGTERM, graceful), e.g. to prove the others cope. */
    public void stop(String service) {
        processes.get(service).stop();
    }

    /** Starts a stopped service again with the same settings. */
    public void restart(String service, List<String> extraProperties) {
        stop(service);
        launch(service, extraProperties, true);
        processes.get(service).awaitReady();
    }

    @Override
    public void close() {
        // SIGTERM to all first, so they shut down side by side rather than one after the other.
        processes.values().forEach(p -> ProcessHandle.of(p.pid()).ifPresent(ProcessHandle::destroy));
        processes.values().forEach(ServiceProcess::stop);
    }
}
