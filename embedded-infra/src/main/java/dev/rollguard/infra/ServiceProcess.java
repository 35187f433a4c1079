package dev.rollguard.infra;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;

/**
 * One Rollguard process started the way every caller starts it: a packaged Quarkus service ({@code java -jar
 * <module>/target/quarkus-app/quarkus-run.jar}) or a Java main class (the local stack's Kafka and PostgreSQL), with
 * its environment and system properties, one log file, readiness awaited with one timeout, and a stop that is graceful
 * (SIGTERM) and then forced, or a kill (SIGKILL) for a test of a crash. The tests' {@link ServiceStack}, the benchmarks and {@code bin/rollguard up} (through
 * {@link LocalStackMain}) launch through it, so a sleep, a timeout or a setting cannot drift between them.
 */
public final class ServiceProcess implements AutoCloseable {

    /** Readiness timeout unless {@value #READY_TIMEOUT_PROPERTY} or {@value #READY_TIMEOUT_ENV} says otherwise. */
    public static final Duration DEFAULT_READY_TIMEOUT = Duration.ofSeconds(300);

    /** System property with the readiness timeout in seconds. */
    public static final String READY_TIMEOUT_PROPERTY = "rollguard.ready-timeout";

    /** Environment variable with the readiness timeout in seconds (the property wins). */
    public static final String READY_TIMEOUT_ENV = "ROLLGUARD_READY_TIMEOUT";

    /** How long a stop waits after SIGTERM before SIGKILL. */
    public static final Duration DEFAULT_GRACE = Duration.ofSeconds(20);

    /** Lines of the log a failure message carries. */
    static final int TAIL_LINES = 40;

    private static final Duration POLL = Duration.ofMillis(300);
    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .build();

    private final String name;
    private final ProcessHandle handle;
    private final Process process;
    private final int port;
    private final String readyLine;
    private final Path log;

    private ServiceProcess(String name, ProcessHandle handle, Process process, int port, String readyLine, Path log) {
        this.name = name;
        this.handle = handle;
        this.process = process;
        this.port = port;
        this.readyLine = readyLine;
        this.log = log;
    }

    /** The packaged Quarkus service of a module under the checkout {@code root}, to be configured and started. */
    public static Builder packaged(Path root, String module) {
        return packaged(module, jar(root, module));
    }

    /** A packaged Quarkus service from its {@code quarkus-run.jar}, to be configured and started. */
    public static Builder packaged(String name, Path jar) {
        return new Builder(name, List.of("-jar", jar.toString()), jar);
    }

    /** A Java main class run on the classpath of this JVM (the local stack's Kafka and PostgreSQL). */
    public static Builder main(String name, String mainClass, List<String> arguments) {
        // Absolute: the process runs in its log's directory.
        String classpath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .map(entry -> Path.of(entry).toAbsolutePath().toString())
                .collect(Collectors.joining(File.pathSeparator));
        List<String> tail = new ArrayList<>(List.of("-cp", classpath, mainClass));
        tail.addAll(arguments);
        return new Builder(name, tail, null);
    }

    /** A process started earlier (by another JVM, e.g. an earlier {@code bin/rollguard up}), to await or stop. */
    public static ServiceProcess running(String name, ProcessHandle handle, int port, String readyLine, Path log) {
        return new ServiceProcess(name, handle, null, port, readyLine, log);
    }

    /** Where the packaged service of a module is: {@code <root>/<module>/target/quarkus-app/quarkus-run.jar}. */
    public static Path jar(Path root, String module) {
        return root.resolve(module).resolve("target/quarkus-app/quarkus-run.jar");
    }

    /**
     * The readiness timeout: {@value #READY_TIMEOUT_PROPERTY} (seconds), else {@value #READY_TIMEOUT_ENV}, else
     * {@link #DEFAULT_READY_TIMEOUT}. Generous by default: on a loaded machine a service once took 120.5 s.
     */
    public static Duration readyTimeout() {
        String value = System.getProperty(READY_TIMEOUT_PROPERTY, System.getenv(READY_TIMEOUT_ENV));
        if (value == null || value.isBlank()) {
            return DEFAULT_READY_TIMEOUT;
        }
        try {
            return Duration.ofSeconds(Long.parseLong(value.trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("readiness timeout '" + value + "' is not a number of seconds", e);
        }
    }

    public String name() {
        return name;
    }

    public long pid() {
        return handle.pid();
    }

    public int port() {
        return port;
    }

    /** Base URL, e.g. {@code http://127.0.0.1:8081}. */
    public String url() {
        return "http://127.0.0.1:" + port;
    }

    public Path log() {
        return log;
    }

    public boolean isAlive() {
        // Process, where there is one, knows an exit as soon as it knows the code.
        return process != null ? process.isAlive() : handle.isAlive();
    }

    /** Waits for readiness with {@link #readyTimeout()}. */
    public ServiceProcess awaitReady() {
        return awaitReady(readyTimeout());
    }

    /**
     * Waits until the service answers 200 on {@code /q/health/ready} (or, for a main class, until its log holds the
     * ready line). Fails with the last lines of the log if the process exits first or the timeout passes.
     */
    public ServiceProcess awaitReady(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no answer";
        while (true) {
            if (!isAlive()) {
                String code = process == null ? "" : " with code " + process.exitValue();
                throw new IllegalStateException(
                        name + " exited during start" + code + " (log: " + log + ")\n" + tail(log, TAIL_LINES));
            }
            if (readyLine != null) {
                if (logContains(readyLine)) {
                    return this;
                }
                last = "no '" + readyLine + "' in the log yet";
            } else {
                Optional<String> notReady = readiness();
                if (notReady.isEmpty()) {
                    return this;
                }
                last = notReady.get();
            }
            if (System.nanoTime() >= deadline) {
                throw new IllegalStateException(name + " not ready after " + timeout.toSeconds() + " s (log: " + log
                        + "; readiness: " + last + ")\n" + tail(log, TAIL_LINES));
            }
            // Readiness is polled, like Kubernetes does; there is no event to wait for.
            LockSupport.parkNanos(POLL.toNanos());
        }
    }

    /** Empty when ready; else what the readiness endpoint answered. */
    private Optional<String> readiness() {
        try {
            HttpResponse<String> response = HTTP.send(
                    HttpRequest.newBuilder(URI.create(url() + "/q/health/ready"))
                            .timeout(Duration.ofSeconds(2))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200
                    ? Optional.empty()
                    : Optional.of(response.statusCode() + " " + response.body().replace('\n', ' '));
        } catch (IOException notYet) {
            return Optional.of(notYet.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + name, e);
        }
    }

    private boolean logContains(String line) {
        try {
            return Files.exists(log)
                    && Files.readString(log, StandardCharsets.ISO_8859_1).contains(line);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops the process: SIGTERM, then SIGKILL after {@link #DEFAULT_GRACE}. True if it was running. */
    public boolean stop() {
        return stop(DEFAULT_GRACE);
    }

    /** Stops the process: SIGTERM, then SIGKILL after {@code grace}. True if it was running. */
    public boolean stop(Duration grace) {
        return stop(handle, grace);
    }

    /**
     * Kills the process at once (SIGKILL), as a crash or an evicted pod ends it: no shutdown hook runs, nothing is
     * flushed or handed over. Waits until it is gone. True if it was running.
     */
    public boolean kill() {
        if (!handle.isAlive()) {
            return false;
        }
        handle.destroyForcibly();
        exited(handle, Duration.ofSeconds(10));
        return true;
    }

    /** Stops any process: SIGTERM, then SIGKILL after {@code grace}; waits until it is gone. True if it was running. */
    public static boolean stop(ProcessHandle handle, Duration grace) {
        if (!handle.isAlive()) {
            return false;
        }
        handle.destroy();
        if (!exited(handle, grace)) {
            handle.destroyForcibly();
            exited(handle, Duration.ofSeconds(10));
        }
        return true;
    }

    private static boolean exited(ProcessHandle handle, Duration within) {
        try {
            handle.onExit().get(within.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return !handle.isAlive();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !handle.isAlive();
        }
    }

    /** Waits until the process ends (a one-off command) and returns its exit code. */
    public int awaitExit() {
        try {
            if (process == null) {
                throw new IllegalStateException(name + " was started elsewhere: its exit code is not known here");
            }
            return process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + name, e);
        }
    }

    @Override
    public void close() {
        stop();
    }

    /** The last {@code lines} lines of a log, framed for a failure message (empty if there is no log). */
    public static String tail(Path log, int lines) {
        if (!Files.exists(log)) {
            return "";
        }
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.ISO_8859_1);
            return "--- last lines of " + log + " ---\n"
                    + String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()))
                    + "\n---";
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e.getMessage() + ")";
        }
    }

    /** The configuration of a process to start. */
    public static final class Builder {
        private final String name;
        private final List<String> launch;
        private final Path jar;
        private final List<String> jvmArgs = new ArrayList<>();
        private final Map<String, String> properties = new LinkedHashMap<>();
        private final Map<String, String> environment = new LinkedHashMap<>();
        private int port;
        private String readyLine;
        private Path log;
        private boolean appendLog;
        private boolean detached;

        private Builder(String name, List<String> launch, Path jar) {
            this.name = name;
            this.launch = launch;
            this.jar = jar;
        }

        /** The HTTP port ({@code quarkus.http.port}); readiness is asked there. */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /** JVM options, e.g. {@code -Xmx256m}, placed before the system properties. */
        public Builder jvmArgs(List<String> args) {
            jvmArgs.addAll(args);
            return this;
        }

        /** A system property ({@code -Dkey=value}); a later one of the same key wins. */
        public Builder property(String key, String value) {
            properties.put(key, value);
            return this;
        }

        /** System properties written {@code key=value} (a test profile's shortened timings, the demo's). */
        public Builder properties(List<String> keyValues) {
            for (String keyValue : keyValues) {
                int equals = keyValue.indexOf('=');
                if (equals <= 0) {
                    throw new IllegalArgumentException("'" + keyValue + "' is not key=value");
                }
                property(keyValue.substring(0, equals), keyValue.substring(equals + 1));
            }
            return this;
        }

        /** An environment variable of the process. */
        public Builder env(String key, String value) {
            environment.put(key, value);
            return this;
        }

        /** Environment variables of the process (e.g. {@link StackSettings#environment(String)}). */
        public Builder env(Map<String, String> variables) {
            environment.putAll(variables);
            return this;
        }

        /** For a main class without HTTP: ready once its log holds this text. */
        public Builder readyWhenLogContains(String line) {
            this.readyLine = line;
            return this;
        }

        /** The log file (stdout and stderr); emptied at start unless {@link #appendLog()}. */
        public Builder log(Path file) {
            this.log = file;
            return this;
        }

        /** Keep what the log holds (a restart of the same service). */
        public Builder appendLog() {
            this.appendLog = true;
            return this;
        }

        /**
         * Outlive the JVM that starts it, as {@code bin/rollguard up} needs: its own session (setsid, so a Ctrl-C in
         * the terminal that ran {@code up} or {@code demo} does not reach it) and no standard input.
         */
        public Builder detached() {
            this.detached = true;
            return this;
        }

        /** Starts the process (readiness is not awaited: {@link ServiceProcess#awaitReady()}). */
        public ServiceProcess start() {
            if (jar != null && !Files.exists(jar)) {
                throw new IllegalStateException(
                        jar + " is missing: package the services first (./mvnw install -DskipTests, or ./mvnw verify)");
            }
            if (log == null) {
                throw new IllegalStateException("no log file for " + name);
            }
            List<String> command = new ArrayList<>();
            if (detached) {
                Path setsid = Path.of("/usr/bin/setsid");
                if (Files.isExecutable(setsid)) {
                    command.add(setsid.toString());
                }
            }
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.addAll(jvmArgs);
            if (port > 0) {
                command.add("-Dquarkus.http.port=" + port);
            }
            properties.forEach((key, value) -> command.add("-D" + key + "=" + value));
            command.addAll(launch);
            try {
                Files.createDirectories(log.toAbsolutePath().getParent());
                if (!appendLog) {
                    Files.writeString(log, "");
                }
                ProcessBuilder builder = new ProcessBuilder(command)
                        .directory(log.toAbsolutePath().getParent().toFile())
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
                if (detached) {
                    builder.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
                }
                builder.environment().putAll(environment);
                Process process = builder.start();
                return new ServiceProcess(name, process.toHandle(), process, port, readyLine, log);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start " + name, e);
            }
        }
    }
}
