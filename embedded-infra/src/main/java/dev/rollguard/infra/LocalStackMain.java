package dev.rollguard.infra;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The local stack behind {@code bin/rollguard up}, {@code down} and {@code status}: Kafka and PostgreSQL (embedded,
 * or external servers named by {@code ROLLGUARD_EXTERNAL_*}), the four services and the console, each a detached
 * {@link ServiceProcess} with a pid file and a log under the state directory; the endpoints and tokens written to
 * {@code <state>/env}. The script keeps the command line and the decision to build; starting, readiness and stopping
 * are here.
 */
@Command(
        name = "rollguard-stack",
        mixinStandardHelpOptions = true,
        subcommands = {
            LocalStackMain.Up.class,
            LocalStackMain.Down.class,
            LocalStackMain.Status.class,
            LocalStackMain.Stop.class
        },
        description = "The Rollguard local stack (bin/rollguard up, down, status).")
public final class LocalStackMain {

    static final List<String> SERVICES = List.of("flag-service", "metrics-ingest", "alert-service", "rollback-service");
    /** The HTTP ports of the services and the console, unless ROLLGUARD_<NAME>_PORT says otherwise ({@link #port}). */
    static final Map<String, Integer> DEFAULT_PORTS = Map.of(
            "flag-service", 8081,
            "metrics-ingest", 8082,
            "alert-service", 8083,
            "rollback-service", 8084,
            "console", 8085);

    @Option(names = "--root", required = true, description = "The checkout.")
    Path root;

    @Option(names = "--state", required = true, description = "The state directory (data, logs, pids, tokens).")
    Path state;

    @Option(names = "--json-errors", description = "Errors as JSON {\"code\",\"message\"} (-o json).")
    boolean jsonErrors;

    public static void main(String[] args) {
        System.exit(new CommandLine(new LocalStackMain()).execute(args));
    }

    // --- the stack's layout --------------------------------------------------------------------------------------

    Path logs() {
        return state.resolve("logs");
    }

    Path log(String name) {
        return logs().resolve(name + ".log");
    }

    Path pidFile(String name) {
        return state.resolve("pids").resolve(name + ".pid");
    }

    /** Every process of this stack carries it, so {@code down} never signals a process it did not start. */
    String marker() {
        return "-Drollguard.stack=" + state;
    }

    /**
     * How long {@link #running} waits for the command line of a process that shows none: one in the middle of an exec
     * (setsid becoming java, a moment after {@code Process.start()} returned) reads as empty until the kernel has set
     * up the new program's arguments.
     */
    static final Duration EXEC_GRACE = Duration.ofSeconds(2);

    /** The process a pid file names, if it is still running and one of this stack's. */
    Optional<ProcessHandle> running(String name) {
        try {
            Path file = pidFile(name);
            if (!Files.exists(file)) {
                return Optional.empty();
            }
            long pid = Long.parseLong(Files.readString(file).trim());
            Path cmdline = Path.of("/proc", Long.toString(pid), "cmdline");
            long deadline = System.nanoTime() + EXEC_GRACE.toNanos();
            String command = commandLine(cmdline);
            while (command.isEmpty() && Files.exists(cmdline) && System.nanoTime() < deadline) {
                LockSupport.parkNanos(Duration.ofMillis(5).toNanos());
                command = commandLine(cmdline);
            }
            return command.contains(marker()) ? ProcessHandle.of(pid) : Optional.empty();
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /**
     * A {@code /proc/<pid>/cmdline} in one read(2), "" if there is none (yet): Files.readString reads one byte and
     * then the rest, and an exec between the two leaves "/" alone.
     */
    private static String commandLine(Path cmdline) throws IOException {
        if (!Files.isReadable(cmdline)) {
            return "";
        }
        try (FileChannel channel = FileChannel.open(cmdline)) {
            ByteBuffer buffer = ByteBuffer.allocate(1 << 16);
            int read = channel.read(buffer);
            return read <= 0 ? "" : new String(buffer.array(), 0, read, StandardCharsets.ISO_8859_1).replace('\0', ' ');
        }
    }

    /** Stops a component of the stack (graceful, then forced) and forgets its pid; says so if it ran. */
    void stop(String name, PrintStream out) {
        Optional<ProcessHandle> handle = running(name);
        if (handle.isPresent() && ServiceProcess.stop(handle.get(), ServiceProcess.DEFAULT_GRACE)) {
            out.println("stopped " + name + " (pid " + handle.get().pid() + ")");
        }
        try {
            Files.deleteIfExists(pidFile(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** PostgreSQL runs as a child of its launcher; after a crash of the launcher it may be left behind. */
    void stopOrphanPostgres(PrintStream out) {
        Path pidFile = state.resolve("postgres").resolve("postmaster.pid");
        try {
            if (!Files.exists(pidFile)) {
                return;
            }
            long pid = Long.parseLong(Files.readAllLines(pidFile).get(0).trim());
            Path cmdline = Path.of("/proc", Long.toString(pid), "cmdline");
            if (!Files.isReadable(cmdline)
                    || !Files.readString(cmdline, StandardCharsets.ISO_8859_1)
                            .replace('\0', ' ')
                            .contains(state.resolve("postgres").toString())) {
                return;
            }
            // SIGINT: PostgreSQL's fast shutdown (SIGTERM would wait for the clients to leave).
            new ProcessBuilder("kill", "-INT", Long.toString(pid))
                    .inheritIO()
                    .start()
                    .waitFor();
            Optional<ProcessHandle> handle = ProcessHandle.of(pid);
            if (handle.isPresent()) {
                ServiceProcess.stop(handle.get(), Duration.ofSeconds(10));
            }
            out.println("stopped orphaned postgres (pid " + pid + ")");
        } catch (IOException | RuntimeException e) {
            // a stale or unreadable pid file: nothing of ours to stop
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static int envPort(String name, int fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : Integer.parseInt(value.trim());
    }

    /**
     * The HTTP port of a service or the console: {@code ROLLGUARD_<NAME>_PORT} ({@code ROLLGUARD_FLAG_SERVICE_PORT},
     * ..., {@code ROLLGUARD_CONSOLE_PORT}) when set, else its default (8081-8085), so a stack can start beside another
     * program holding one of those.
     */
    static int port(String service) {
        return port(service, System.getenv());
    }

    static int port(String service, Map<String, String> environment) {
        String name = portVariable(service);
        String value = environment.get(name);
        if (value == null || value.isBlank()) {
            return DEFAULT_PORTS.get(service);
        }
        try {
            int port = Integer.parseInt(value.trim());
            if (port >= 1 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new Failure(name + " must be a port number (1-65535); got '" + value + "'");
    }

    static String portVariable(String service) {
        return "ROLLGUARD_" + service.toUpperCase(java.util.Locale.ROOT).replace('-', '_') + "_PORT";
    }

    /** Where a service or the console of this stack answers. */
    static String url(String service) {
        return "http://127.0.0.1:" + port(service);
    }

    /**
     * The settings that tell {@code service} where the others answer: the defaults of their configuration name the
     * default ports, which {@link #port} may have moved.
     */
    static Map<String, String> peerUrls(String service) {
        return switch (service) {
            case "console" ->
                Map.of(
                        "CONSOLE_SERVICES_FLAG_SERVICE", url("flag-service"),
                        "CONSOLE_SERVICES_METRICS_INGEST", url("metrics-ingest"),
                        "CONSOLE_SERVICES_ALERT_SERVICE", url("alert-service"),
                        "CONSOLE_SERVICES_ROLLBACK_SERVICE", url("rollback-service"));
            case "rollback-service" ->
                Map.of(
                        "ROLLBACK_SERVICE_FLAG_SERVICE_URL", url("flag-service"),
                        "ROLLBACK_SERVICE_ALERT_SERVICE_URL", url("alert-service"));
            case "alert-service" -> Map.of("ALERT_SERVICE_WEBHOOKS_CONSOLE_URL", url("console"));
            default -> Map.of();
        };
    }

    static String env(String name) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? null : value;
    }

    int kafkaPort() {
        return envPort("ROLLGUARD_KAFKA_PORT", 19092);
    }

    int kafkaControllerPort() {
        return envPort("ROLLGUARD_KAFKA_CONTROLLER_PORT", 19093);
    }

    int postgresPort() {
        return envPort("ROLLGUARD_PG_PORT", 15432);
    }

    String kafkaBootstrap() {
        String external = env("ROLLGUARD_EXTERNAL_KAFKA_BOOTSTRAP");
        return external != null ? external : "127.0.0.1:" + kafkaPort();
    }

    /** host:port of the PostgreSQL server the services use. */
    String dbServer() {
        String external = env("ROLLGUARD_EXTERNAL_DB_URL");
        if (external == null) {
            return "127.0.0.1:" + postgresPort();
        }
        Matcher m = Pattern.compile("^jdbc:postgresql://([^/?]+).*").matcher(external);
        return m.matches() ? m.group(1) : external;
    }

    String dbUser() {
        return StackSettings.user(env("ROLLGUARD_EXTERNAL_DB_USER"));
    }

    String dbPassword() {
        return StackSettings.password(System.getenv("ROLLGUARD_EXTERNAL_DB_PASSWORD"));
    }

    static boolean portTaken(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            return true;
        } catch (IOException free) {
            return false;
        }
    }

    /** A failure the user sees as one message (exit 1), after the log lines that explain it. */
    static final class Failure extends RuntimeException {
        Failure(String message) {
            super(message);
        }
    }

    int fail(String message) {
        if (jsonErrors) {
            String oneLine = message.replace('\n', ' ');
            System.err.println("{\"code\":\"FAILED\",\"message\":\""
                    + oneLine.replace("\\", "\\\\").replace("\"", "\\\"") + "\"}");
        } else {
            System.err.println("rollguard: " + message);
        }
        return 1;
    }

    // --- up ------------------------------------------------------------------------------------------------------

    @Command(
            name = "up",
            description = "Start Kafka, PostgreSQL, the four services and the console; wait until each is ready.")
    static final class Up implements Callable<Integer> {
        @CommandLine.ParentCommand
        LocalStackMain stack;

        @Option(names = "--began", description = "When the command began (epoch seconds), for the time it took.")
        long began;

        /** What this run started, stopped again (newest first) if it fails. */
        private final List<String> started = new ArrayList<>();
        /**
         * The processes this run launched, by name: awaited as they are, so an exit during start reports its code and
         * the start never depends on reading back the pid file of a process a moment old.
         */
        private final Map<String, ServiceProcess> launched = new HashMap<>();

        private volatile boolean finished;

        @Override
        public Integer call() {
            long since = began > 0 ? began : System.currentTimeMillis() / 1000;
            Thread undo = new Thread(
                    () -> {
                        if (!finished) {
                            stack.fail("interrupted");
                            undo();
                        }
                    },
                    "rollguard-up-interrupted");
            Runtime.getRuntime().addShutdownHook(undo);
            try {
                start();
            } catch (RuntimeException e) {
                String message = e.getMessage() == null ? e.toString() : e.getMessage();
                int newline = message.indexOf('\n');
                if (newline >= 0) {
                    System.err.println(message.substring(newline + 1));
                    message = message.substring(0, newline);
                }
                stack.fail(message);
                undo();
                finished = true;
                return 1;
            }
            finished = true;
            System.out.println();
            System.out.println("Rollguard is up (" + (System.currentTimeMillis() / 1000 - since) + " s).");
            stack.printEndpoints();
            return 0;
        }

        private void start() {
            try {
                Files.createDirectories(stack.logs());
                Files.createDirectories(stack.pidFile("x").getParent());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            mode();
            Tokens tokens = Tokens.loadOrCreate(stack.state.resolve("tokens"));
            String externalKafka = env("ROLLGUARD_EXTERNAL_KAFKA_BOOTSTRAP");
            String externalDb = env("ROLLGUARD_EXTERNAL_DB_URL");
            if (externalKafka != null) {
                System.out.println("creating the topics on " + externalKafka + " ...");
                infraCommand(
                        List.of("create-topics", "--bootstrap", externalKafka),
                        "cannot create topics on " + externalKafka);
            } else if (stack.running("kafka").isEmpty()) {
                for (int port : List.of(stack.kafkaPort(), stack.kafkaControllerPort())) {
                    if (portTaken(port)) {
                        throw new Failure("port " + port + " (for Kafka) is taken by another process, another stack"
                                + " perhaps (ROLLGUARD_KAFKA_PORT and ROLLGUARD_KAFKA_CONTROLLER_PORT choose others)");
                    }
                }
                System.out.println("starting Kafka on 127.0.0.1:" + stack.kafkaPort() + " ...");
                launchInfra(
                        "kafka",
                        List.of(
                                "kafka",
                                "--data",
                                stack.state.resolve("kafka").toString(),
                                "--port",
                                Integer.toString(stack.kafkaPort()),
                                "--controller-port",
                                Integer.toString(stack.kafkaControllerPort())),
                        LocalInfraMain.KAFKA_READY);
            }
            if (externalDb != null) {
                System.out.println("creating the databases on " + stack.dbServer() + " ...");
                infraCommand(
                        List.of(
                                "create-databases",
                                "--url",
                                externalDb,
                                "--user",
                                stack.dbUser(),
                                "--password",
                                stack.dbPassword()),
                        "cannot create databases on " + stack.dbServer());
            } else if (stack.running("postgres").isEmpty()) {
                stack.stopOrphanPostgres(System.out);
                if (portTaken(stack.postgresPort())) {
                    throw new Failure("port " + stack.postgresPort() + " (for PostgreSQL) is taken by another process,"
                            + " another stack perhaps (ROLLGUARD_PG_PORT chooses another)");
                }
                System.out.println("starting PostgreSQL on 127.0.0.1:" + stack.postgresPort() + " ...");
                launchInfra(
                        "postgres",
                        List.of(
                                "postgres",
                                "--data",
                                stack.state.resolve("postgres").toString(),
                                "--port",
                                Integer.toString(stack.postgresPort())),
                        LocalInfraMain.POSTGRES_READY);
            }
            if (externalKafka == null) {
                awaitReady("kafka", 0, LocalInfraMain.KAFKA_READY);
            }
            if (externalDb == null) {
                awaitReady("postgres", 0, LocalInfraMain.POSTGRES_READY);
            }

            StackSettings settings = StackSettings.servers(
                    stack.kafkaBootstrap(), stack.dbServer(), stack.dbUser(), stack.dbPassword(), tokens);
            for (String service : SERVICES) {
                launchService(service, settings);
            }
            for (String service : SERVICES) {
                awaitReady(service, port(service), null);
            }
            launchService("console", settings);
            awaitReady("console", port("console"), null);
            stack.writeEnv(tokens);
        }

        /** The timings the services run with: the demo's (5-second windows) or their own, kept while any runs. */
        private void mode() {
            boolean any = SERVICES.stream().anyMatch(s -> stack.running(s).isPresent());
            if (!any) {
                String mode = env("ROLLGUARD_MODE");
                write(stack.state.resolve("mode"), (mode == null ? "default" : mode) + "\n");
            }
        }

        private boolean demoMode() {
            try {
                Path mode = stack.state.resolve("mode");
                return Files.exists(mode) && Files.readString(mode).trim().equals("demo");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** A one-off command of LocalInfraMain (topics, databases on external servers), logged to infra.log. */
        private void infraCommand(List<String> arguments, String failure) {
            ServiceProcess command = ServiceProcess.main("infra", LocalInfraMain.class.getName(), arguments)
                    .jvmArgs(List.of("-Djava.util.logging.manager=org.jboss.logmanager.LogManager"))
                    .log(stack.log("infra"))
                    .appendLog()
                    .start();
            int code = command.awaitExit();
            if (code != 0) {
                throw new Failure(failure + " (log: " + stack.log("infra") + ")\n"
                        + ServiceProcess.tail(stack.log("infra"), ServiceProcess.TAIL_LINES));
            }
        }

        private void launchInfra(String name, List<String> arguments, String readyLine) {
            ServiceProcess process = ServiceProcess.main(name, LocalInfraMain.class.getName(), arguments)
                    .jvmArgs(List.of(
                            stack.marker(),
                            "-Xms64m",
                            "-Xmx768m",
                            "-Djava.util.logging.manager=org.jboss.logmanager.LogManager"))
                    .log(stack.log(name))
                    .readyWhenLogContains(readyLine)
                    .detached()
                    .start();
            remember(name, process);
        }

        private void launchService(String service, StackSettings settings) {
            if (stack.running(service).isPresent()) {
                return;
            }
            int port = port(service);
            if (portTaken(port)) {
                throw new Failure("port " + port + " (for " + service + ") is taken by another process");
            }
            System.out.println("starting " + service + " on :" + port + " ...");
            ServiceProcess.Builder builder = ServiceProcess.packaged(stack.root, service)
                    .port(port)
                    .jvmArgs(List.of(stack.marker(), "-Xmx384m", "-XX:+UseSerialGC"))
                    .env(settings.environment(service))
                    .env(peerUrls(service))
                    .log(stack.log(service))
                    .detached();
            String cors = env("ROLLGUARD_CORS_ORIGINS");
            if (cors != null && (service.equals("flag-service") || service.equals("metrics-ingest"))) {
                builder.env("QUARKUS_HTTP_CORS_ENABLED", "true").env("QUARKUS_HTTP_CORS_ORIGINS", cors);
            }
            if (service.equals("metrics-ingest")) {
                builder.property(
                        "kafka-streams.state.dir",
                        stack.state.resolve("streams-state").toString());
            }
            if (demoMode()) {
                builder.properties(demoProperties(service));
            }
            remember(service, builder.start());
        }

        private List<String> demoProperties(String service) {
            Path file = stack.root.resolve("simulator/src/main/resources/demo-stack/" + service + ".properties");
            try {
                return Files.readAllLines(file).stream()
                        .filter(line -> !line.isBlank() && !line.startsWith("#"))
                        .toList();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private void remember(String name, ServiceProcess process) {
            write(stack.pidFile(name), process.pid() + "\n");
            started.add(name);
            launched.put(name, process);
        }

        /**
         * Waits until a component is ready: the process this run launched, or else the one its pid file names (started
         * by an earlier run). The latter must be running and one of this stack's.
         */
        private void awaitReady(String name, int port, String readyLine) {
            ServiceProcess process = launched.get(name);
            if (process == null) {
                ProcessHandle handle = stack.running(name)
                        .orElseThrow(() -> new Failure(name + " exited during start (log: " + stack.log(name) + ")\n"
                                + ServiceProcess.tail(stack.log(name), ServiceProcess.TAIL_LINES)));
                process = ServiceProcess.running(name, handle, port, readyLine, stack.log(name));
            }
            process.awaitReady();
        }

        /** After a failed start: stop, newest first, what this run started (what was running before stays). */
        private synchronized void undo() {
            if (started.isEmpty()) {
                return;
            }
            System.err.println("rollguard: stopping what this start began: " + String.join(" ", started));
            for (int i = started.size() - 1; i >= 0; i--) {
                stack.stop(started.get(i), System.err);
            }
            if (started.contains("postgres")) {
                stack.stopOrphanPostgres(System.err);
            }
            started.clear();
        }
    }

    static void write(Path file, String content) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Shell quoting for a value of the env file (what bash's printf %q does, for sourcing). */
    static String shellQuoted(String value) {
        return value.matches("[A-Za-z0-9_./:@,+=%-]+") ? value : "'" + value.replace("'", "'\\''") + "'";
    }

    void writeEnv(Tokens tokens) {
        StringBuilder env = new StringBuilder()
                .append("# Rollguard local stack in ")
                .append(state)
                .append(", written by bin/rollguard up.\n")
                .append("# Source it (. ")
                .append(state)
                .append("/env) to use the CLI, curl or the simulator against this stack;\n")
                .append("# sourcing it changes nothing about bin/rollguard up, down or status.\n\n")
                .append("# Endpoints and tokens of this stack\n");
        export(env, "ROLLGUARD_ADMIN_TOKEN", tokens.admin());
        export(env, "ROLLGUARD_SERVICE_TOKEN", tokens.service());
        export(env, "ROLLGUARD_CLIENT_TOKEN", tokens.client());
        export(env, "ROLLGUARD_PRODUCER_TOKEN", tokens.producer());
        export(env, "ROLLGUARD_INBOUND_TOKEN", tokens.inbound());
        export(env, "ROLLGUARD_KAFKA_BOOTSTRAP", kafkaBootstrap());
        export(env, "ROLLGUARD_DB_URL", "jdbc:postgresql://" + dbServer() + "/postgres");
        export(env, "ROLLGUARD_FLAG_SERVICE_URL", "http://127.0.0.1:" + port("flag-service"));
        export(env, "ROLLGUARD_METRICS_INGEST_URL", "http://127.0.0.1:" + port("metrics-ingest"));
        export(env, "ROLLGUARD_ALERT_SERVICE_URL", "http://127.0.0.1:" + port("alert-service"));
        export(env, "ROLLGUARD_ROLLBACK_SERVICE_URL", "http://127.0.0.1:" + port("rollback-service"));
        export(env, "ROLLGUARD_CONSOLE_URL", "http://127.0.0.1:" + port("console"));
        List<String> external = List.of(
                "ROLLGUARD_EXTERNAL_KAFKA_BOOTSTRAP",
                "ROLLGUARD_EXTERNAL_DB_URL",
                "ROLLGUARD_EXTERNAL_DB_USER",
                "ROLLGUARD_EXTERNAL_DB_PASSWORD");
        if (env(external.get(0)) != null || env(external.get(1)) != null) {
            env.append(
                    "\n# Use these external servers: this stack was started on them (bin/rollguard up reads these)\n");
            for (String name : external) {
                if (env(name) != null) {
                    env.append("export ")
                            .append(name)
                            .append('=')
                            .append(shellQuoted(env(name)))
                            .append('\n');
                }
            }
        }
        Path file = state.resolve("env");
        try {
            if (!Files.exists(file)) {
                Files.createFile(
                        file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            }
            Files.writeString(file, env);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void export(StringBuilder env, String name, String value) {
        env.append("export ").append(name).append('=').append(value).append('\n');
    }

    void printEndpoints() {
        System.out.print("\n"
                + "  flag-service      http://127.0.0.1:" + port("flag-service")
                + "   admin API /api/flags, OFREP /ofrep/v1, Swagger UI /q/swagger-ui\n"
                + "  metrics-ingest    http://127.0.0.1:" + port("metrics-ingest")
                + "   POST /api/telemetry, /api/health-report\n"
                + "  alert-service     http://127.0.0.1:" + port("alert-service")
                + "   /api/rules, /api/alerts, /api/alerts/stream\n"
                + "  rollback-service  http://127.0.0.1:" + port("rollback-service") + "   /api/rollbacks\n"
                + "  console           http://127.0.0.1:" + port("console")
                + "   the web console: sign in with ROLLGUARD_ADMIN_TOKEN\n"
                + "  health            /q/health/live, /q/health/ready; metrics /q/metrics (each service)\n"
                + "  Kafka             " + kafkaBootstrap() + "\n"
                + "  PostgreSQL        " + dbServer() + " (user " + dbUser() + ")\n"
                + "\n"
                // The tokens are not printed: this output lands in terminals, recordings and CI logs, the file is 0600.
                + "Tokens and endpoints are in " + state + "/env (readable by you only):  . " + state + "/env\n"
                + "The console's sign-in token:  grep ROLLGUARD_ADMIN_TOKEN " + state + "/env\n"
                + "\n"
                + "Stop with: bin/rollguard down\n");
    }

    // --- down, stop, status --------------------------------------------------------------------------------------

    @Command(name = "down", description = "Stop everything 'up' started in this checkout, and nothing else.")
    static final class Down implements Callable<Integer> {
        @CommandLine.ParentCommand
        LocalStackMain stack;

        @Override
        public Integer call() {
            stack.stop("console", System.out);
            for (int i = SERVICES.size() - 1; i >= 0; i--) {
                stack.stop(SERVICES.get(i), System.out);
            }
            stack.stop("postgres", System.out);
            stack.stopOrphanPostgres(System.out);
            stack.stop("kafka", System.out);
            System.out.println("Rollguard is down.");
            return 0;
        }
    }

    @Command(
            name = "stop",
            description = "Stop these components of the stack (e.g. to restart them with other timings).")
    static final class Stop implements Callable<Integer> {
        @CommandLine.ParentCommand
        LocalStackMain stack;

        @Parameters(arity = "1..*", description = "kafka, postgres, the services, console")
        List<String> names;

        @Override
        public Integer call() {
            names.forEach(name -> stack.stop(name, System.out));
            return 0;
        }
    }

    @Command(name = "status", description = "Each component: pid, running or stopped (or external), ready.")
    static final class Status implements Callable<Integer> {
        @CommandLine.ParentCommand
        LocalStackMain stack;

        @Override
        public Integer call() {
            HttpClient http = HttpClient.newBuilder()
                    .connectTimeout(Duration.ofSeconds(2))
                    .build();
            System.out.printf("%-18s %-8s %-9s %s%n", "COMPONENT", "PID", "STATE", "READY");
            List<String> names = new ArrayList<>(List.of("kafka", "postgres"));
            names.addAll(SERVICES);
            names.add("console");
            for (String name : names) {
                Optional<ProcessHandle> handle = stack.running(name);
                String pid = handle.map(h -> Long.toString(h.pid())).orElse("-");
                String state = handle.isPresent() ? "running" : "stopped";
                String ready = "-";
                if (handle.isPresent()) {
                    ready = DEFAULT_PORTS.containsKey(name) ? (ready(http, port(name)) ? "yes" : "no") : "yes";
                }
                if (name.equals("kafka") && env("ROLLGUARD_EXTERNAL_KAFKA_BOOTSTRAP") != null) {
                    state = "external (" + env("ROLLGUARD_EXTERNAL_KAFKA_BOOTSTRAP") + ")";
                }
                if (name.equals("postgres") && env("ROLLGUARD_EXTERNAL_DB_URL") != null) {
                    state = "external (" + stack.dbServer() + ")";
                }
                System.out.printf("%-18s %-8s %-9s %s%n", name, pid, state, ready);
            }
            return 0;
        }

        private static boolean ready(HttpClient http, int port) {
            try {
                return http.send(
                                        HttpRequest.newBuilder(
                                                        URI.create("http://127.0.0.1:" + port + "/q/health/ready"))
                                                .timeout(Duration.ofSeconds(2))
                                                .build(),
                                        HttpResponse.BodyHandlers.discarding())
                                .statusCode()
                        == 200;
            } catch (IOException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }
}
