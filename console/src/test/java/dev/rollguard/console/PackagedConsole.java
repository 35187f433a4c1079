package dev.rollguard.console;

import dev.rollguard.infra.Ports;
import dev.rollguard.infra.ServiceProcess;
import dev.rollguard.infra.StackSettings;
import dev.rollguard.infra.Tokens;
import java.nio.file.Path;
import java.util.List;

/**
 * The console's packaged application (target/quarkus-app, or the {@code console.jar} property) as a process on a free
 * port, as the browser tests drive it: launched by {@link ServiceProcess} with the environment {@link StackSettings}
 * gives it on the shared broker, as {@code bin/rollguard up} launches it, against the given services; ready once its
 * readiness check answers, stopped on close. Its log is target/stack-logs/NAME.log.
 */
final class PackagedConsole implements AutoCloseable {

    private final ServiceProcess process;

    private PackagedConsole(ServiceProcess process) {
        this.process = process;
    }

    /** Starts the console with each service's URL: flag-service, metrics-ingest, alert-service, rollback-service. */
    static PackagedConsole start(
            String logName, String flagService, String metricsIngest, String alertService, String rollbackService) {
        Path jar = Path.of(System.getProperty("console.jar", "target/quarkus-app/quarkus-run.jar"))
                .toAbsolutePath();
        ServiceProcess process = ServiceProcess.packaged("console", jar)
                .port(Ports.free())
                .jvmArgs(List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"))
                .env(StackSettings.sharedInfra(Tokens.random("console")).environment("console"))
                .property("console.services.flag-service", flagService)
                .property("console.services.metrics-ingest", metricsIngest)
                .property("console.services.alert-service", alertService)
                .property("console.services.rollback-service", rollbackService)
                .log(Path.of("target", "stack-logs", logName + ".log").toAbsolutePath())
                .start();
        try {
            process.awaitReady();
        } catch (RuntimeException e) {
            process.stop();
            throw e;
        }
        return new PackagedConsole(process);
    }

    /** The console's base URL, {@code http://127.0.0.1:PORT}. */
    String url() {
        return process.url();
    }

    @Override
    public void close() {
        process.stop();
    }
}
