package dev.rollguard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * The operator commands of {@code bin/rollguard}. Endpoints and tokens come from the environment ({@code . .rollguard/env}
 * for the local stack): ROLLGUARD_FLAG_SERVICE_URL, ROLLGUARD_METRICS_INGEST_URL, ROLLGUARD_ALERT_SERVICE_URL,
 * ROLLGUARD_ROLLBACK_SERVICE_URL and ROLLGUARD_ADMIN_TOKEN. Tables by default, {@code -o json} for scripts, anywhere on
 * the line; {@code --help} on every command. Exit codes: 0 done, 1 failed (the service's error code and message), 2 a
 * usage mistake; under {@code -o json} an error is printed as {@code {"code","message"}} on stderr.
 */
@Command(
        name = "bin/rollguard",
        description =
                "Operate Rollguard: flags, targeting rules and segments, kill switches, rollouts, alerts, rollbacks,"
                        + " reports and the audit log.",
        footer = {
            "",
            "Exit codes: 0 done, 1 a call failed, 2 a usage mistake. Under -o json an error is printed on stderr as"
                    + " {\"code\": ..., \"message\": ...}."
        },
        subcommands = {
            RollguardCli.Flags.class,
            RollguardCli.Flag.class,
            RollguardCli.Kill.class,
            RollguardCli.Unkill.class,
            RollguardCli.Stage.class,
            RolloutCommands.class,
            RuleCommands.class,
            SegmentCommands.class,
            RollguardCli.KillSwitch.class,
            RollguardCli.Alerts.class,
            SilenceCommands.class,
            RollguardCli.Guard.class,
            RollguardCli.Rollbacks.class,
            RollguardCli.Rollouts.class,
            RollguardCli.Report.class,
            RollguardCli.Audit.class
        })
public final class RollguardCli implements Runnable {

    /** An API call that failed: the service's error code (or UNREACHABLE, FAILED) and what the operator sees. */
    static final class ApiException extends RuntimeException {
        final String code;

        ApiException(String message) {
            this("FAILED", message);
        }

        ApiException(String code, String message) {
            super(message);
            this.code = code;
        }
    }

    /** A mistake on the command line that only the command itself can see (exit 2, like a parse error). */
    static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message);
        }
    }

    /** The output formats of {@code -o}. */
    enum Output {
        TABLE,
        JSON
    }

    /**
     * What a watch needs from its surroundings: whether standard output is a terminal (refresh in place) or not (a
     * line per change), the clock, and the pause between two refreshes.
     */
    record Screen(boolean terminal, Clock clock, Pacer pacer) {

        /** Standard output as {@code bin/rollguard} reports it ({@code -Drollguard.terminal}), else as the JVM sees it. */
        static Screen system() {
            String terminal = System.getProperty("rollguard.terminal");
            return new Screen(
                    terminal == null ? System.console() != null : Boolean.parseBoolean(terminal),
                    Clock.systemUTC(),
                    pause -> {
                        Thread.sleep(pause.toMillis());
                        return true;
                    });
        }
    }

    /** Waits between two refreshes of a watch. */
    @FunctionalInterface
    interface Pacer {
        /** Waits {@code pause}; false ends the watch. */
        boolean pause(Duration pause) throws InterruptedException;
    }

    @Option(
            names = {"-o", "--output"},
            defaultValue = "table",
            scope = CommandLine.ScopeType.INHERIT,
            paramLabel = "table|json",
            description = "Output format: table or json (default ${DEFAULT-VALUE}); anywhere on the line.")
    Output output;

    @Option(
            names = {"-h", "--help"},
            usageHelp = true,
            scope = CommandLine.ScopeType.INHERIT,
            description = "Show this help and exit.")
    boolean help;

    @Spec
    CommandSpec spec;

    final PrintStream out;
    final RollguardApi api;
    final Screen screen;

    RollguardCli(RollguardApi api, PrintStream out, Screen screen) {
        this.api = api;
        this.out = out;
        this.screen = screen;
    }

    public static void main(String[] args) {
        System.exit(run(
                new RollguardApi(RollguardApi.Endpoints.fromEnvironment(System.getenv())),
                System.out,
                System.err,
                Screen.system(),
                args));
    }

    /** Runs one command line; returns the exit code (0 ok, 1 failed call, 2 usage error). */
    public static int run(RollguardApi api, PrintStream out, String... args) {
        return run(api, out, System.err, Screen.system(), args);
    }

    static int run(RollguardApi api, PrintStream out, PrintStream err, Screen screen, String... args) {
        boolean json = jsonRequested(args);
        CommandLine cli = new CommandLine(new RollguardCli(api, out, screen));
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        cli.setOut(new PrintWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), true));
        cli.setErr(new PrintWriter(new OutputStreamWriter(err, StandardCharsets.UTF_8), true));
        CommandLine.IParameterExceptionHandler usage = cli.getParameterExceptionHandler();
        cli.setParameterExceptionHandler((e, arguments) -> {
            if (!json) {
                return usage.handleParseException(e, arguments);
            }
            printError(e.getCommandLine().getErr(), "USAGE", e.getMessage());
            return 2;
        });
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            PrintWriter errors = commandLine.getErr();
            if (e instanceof UsageException) {
                if (json) {
                    printError(errors, "USAGE", e.getMessage());
                } else {
                    errors.println("error: " + e.getMessage());
                    errors.println("Try '" + commandLine.getCommandSpec().qualifiedName() + " --help'.");
                }
                return 2;
            }
            String code = e instanceof ApiException failed
                    ? failed.code
                    : e instanceof UncheckedIOException || e instanceof java.net.ConnectException
                            ? "UNREACHABLE"
                            : "FAILED";
            String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            if (json) {
                printError(errors, code, message);
            } else {
                errors.println("error: " + message);
            }
            return 1;
        });
        return cli.execute(args);
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is needed");
    }

    /** Whether the line asks for JSON, read before parsing so that even a line that does not parse answers in JSON. */
    static boolean jsonRequested(String... args) {
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--")) {
                return false;
            }
            String value = null;
            if ((arg.equals("-o") || arg.equals("--output")) && i + 1 < args.length) {
                value = args[i + 1];
            } else if (arg.startsWith("--output=")) {
                value = arg.substring("--output=".length());
            } else if (arg.startsWith("-o") && !arg.startsWith("--")) {
                value = arg.substring(2);
            }
            if ("json".equalsIgnoreCase(value)) {
                return true;
            }
        }
        return false;
    }

    private static void printError(PrintWriter err, String code, String message) {
        err.println(RollguardApi.JSON
                .createObjectNode()
                .put("code", code)
                .put("message", message)
                .toString());
    }

    boolean json() {
        return output == Output.JSON;
    }

    void printJson(JsonNode node) {
        try {
            out.println(
                    RollguardApi.JSON.writer(SerializationFeature.INDENT_OUTPUT).writeValueAsString(node));
        } catch (IOException e) {
            throw new ApiException(e.getMessage());
        }
    }

    static RollguardApi.Answer check(RollguardApi.Answer answer, String what) {
        if (!answer.ok()) {
            JsonNode body = answer.body();
            String code = body.path("code").asText("HTTP_" + answer.status());
            StringBuilder message = new StringBuilder(body.path("message").asText(answer.text()));
            for (JsonNode problem : body.path("problems")) {
                message.append(System.lineSeparator())
                        .append("  ")
                        .append(problem.path("path").asText())
                        .append(": ")
                        .append(problem.path("message").asText());
            }
            throw new ApiException(code, what + " failed (" + answer.status() + " " + code + "): " + message);
        }
        return answer;
    }

    static String text(JsonNode node, String field) {
        JsonNode value = node.path(field);
        return value.isMissingNode() || value.isNull() ? null : value.asText();
    }

    static String percent(JsonNode value) {
        return value.isNumber() ? trim(value.asDouble()) + " %" : null;
    }

    static String trim(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : String.format("%.2f", d);
    }

    static String state(JsonNode flag) {
        if (flag.path("archived").asBoolean()) {
            return "archived";
        }
        if (flag.path("killed").asBoolean()) {
            return "KILLED";
        }
        if (!flag.path("enabled").asBoolean()) {
            return "off";
        }
        return flag.path("paused").asBoolean() ? "on (paused)" : "on";
    }

    static String stage(JsonNode flag) {
        JsonNode stages = flag.path("stages");
        JsonNode current = flag.path("currentStage");
        if (!stages.isArray() || stages.isEmpty() || !current.isInt()) {
            return null;
        }
        return (current.asInt() + 1) + "/" + stages.size() + " "
                + stages.path(current.asInt()).path("name").asText();
    }

    static String guard(JsonNode flag) {
        JsonNode policy = flag.path("guardPolicy");
        if (policy.isMissingNode() || policy.isNull()) {
            return null;
        }
        return policy.path("action").asText() + (policy.path("dryRun").asBoolean() ? " (dry run)" : "");
    }

    abstract static class Base implements Callable<Integer> {
        @ParentCommand
        RollguardCli root;
    }

    abstract static class Change extends Base {
        @Option(names = "--reason", required = true, description = "Why; recorded in the audit log.")
        String reason;

        int printFlag(RollguardApi.Answer answer, String done) {
            JsonNode flag = answer.body();
            if (root.json()) {
                root.printJson(flag);
            } else {
                root.out.printf(
                        "%s: %s (state %s, version %s)%n",
                        flag.path("key").asText(),
                        done,
                        state(flag),
                        flag.path("version").asText());
            }
            return 0;
        }
    }

    @Command(name = "flags", description = "List flags: key, state, stage, rollout, guard policy, last change.")
    static final class Flags extends Base {
        @Option(names = "--search", description = "Only flags whose key contains this text.")
        String search;

        @Override
        public Integer call() {
            JsonNode flags = check(root.api.flags(), "listing flags").body();
            JsonNode items = flags.isArray() ? flags : flags.path("items");
            if (root.json()) {
                root.printJson(items);
                return 0;
            }
            Table table = new Table("KEY", "STATE", "STAGE", "ROLLOUT", "GUARD", "UPDATED", "BY");
            for (JsonNode f : items) {
                if (search != null && !f.path("key").asText().contains(search)) {
                    continue;
                }
                table.row(
                        f.path("key").asText(),
                        state(f),
                        stage(f),
                        percent(f.path("rolloutPercentage")),
                        guard(f),
                        text(f, "updatedAt"),
                        text(f, "updatedBy"));
            }
            table.print(root.out);
            return 0;
        }
    }

    @Command(name = "flag", description = "Show one flag.")
    static final class Flag extends Base {
        @Parameters(paramLabel = "KEY")
        String key;

        @Override
        public Integer call() {
            JsonNode f = check(root.api.flag(key), "reading flag " + key).body();
            if (root.json()) {
                root.printJson(f);
                return 0;
            }
            PrintStream out = root.out;
            out.printf("Key:          %s%n", f.path("key").asText());
            out.printf("Description:  %s%n", f.path("description").asText(""));
            out.printf("Owner:        %s%n", f.path("owner").asText("-"));
            out.printf(
                    "State:        %s%s%n",
                    state(f),
                    f.path("killed").asBoolean() ? " — " + f.path("killReason").asText() : "");
            out.printf("Rollout:      %s%n", percent(f.path("rolloutPercentage")));
            String stage = stage(f);
            if (stage != null && f.hasNonNull("stageVersion")) {
                // What `stage KEY ... --stage-version V` takes.
                stage += " (stage version " + f.path("stageVersion").asText() + ")";
            }
            out.printf("Stage:        %s%n", stage == null ? "-" : stage);
            out.printf("Parent:       %s%n", f.path("parent").asText("-"));
            out.printf("Allow-list:   %s%n", f.path("allowList"));
            out.printf("Deny-list:    %s%n", f.path("denyList"));
            out.printf(
                    "Rules:        %s%n",
                    f.path("rules").isEmpty()
                            ? "-"
                            : f.path("rules").size() + " (bin/rollguard rules get "
                                    + f.path("key").asText() + ")");
            out.printf("Weights:      %s%n", RuleCommands.weights(f));
            out.printf(
                    "Guard policy: %s, cooldown %s s%n",
                    guard(f), f.path("guardPolicy").path("cooldownSeconds").asText("-"));
            out.printf(
                    "Version:      %s (updated %s by %s)%n",
                    f.path("version").asText(),
                    f.path("updatedAt").asText("-"),
                    f.path("updatedBy").asText("-"));
            return 0;
        }
    }

    @Command(name = "kill", description = "Switch a flag off for everyone, now.")
    static final class Kill extends Change {
        @Parameters(paramLabel = "KEY")
        String key;

        @Override
        public Integer call() {
            return printFlag(check(root.api.kill(key, reason), "killing " + key), "killed");
        }
    }

    @Command(name = "unkill", description = "Lift a flag's kill switch (the flag serves its rollout again).")
    static final class Unkill extends Change {
        @Parameters(paramLabel = "KEY")
        String key;

        @Override
        public Integer call() {
            return printFlag(check(root.api.unkill(key, reason), "un-killing " + key), "kill switch lifted");
        }
    }

    @Command(
            name = "stage",
            description = "Move a flag's rollout: next (the same as rollout promote, with the same refusals), back,"
                    + " or set N (1-based stage number). With --stage-version, only from the stage you looked at.")
    static final class Stage extends Base {
        @Parameters(index = "0", paramLabel = "KEY")
        String key;

        @Parameters(index = "1", paramLabel = "next|back|set")
        String move;

        @Parameters(index = "2", arity = "0..1", paramLabel = "N")
        Integer number;

        @Option(
                names = "--reason",
                defaultValue = "changed from the CLI",
                description = "Why (default: ${DEFAULT-VALUE}).")
        String reason;

        @Option(
                names = "--stage-version",
                paramLabel = "V",
                description = "Move only if the flag is still in the stage that began at flag version V (its"
                        + " stageVersion, shown by 'flag KEY'); refused with 409 STAGE_CHANGED once it has moved"
                        + " on, so a decision taken on an older view is not applied to a newer stage.")
        Long stageVersion;

        @Override
        public Integer call() {
            String action =
                    switch (move) {
                        case "next" -> "advance";
                        case "back" -> "revert";
                        case "set" -> "set";
                        default -> throw new UsageException("stage takes next, back or set N; got " + move);
                    };
            if (action.equals("set") && number == null) {
                throw new UsageException("stage KEY set N needs the stage number N");
            }
            if (stageVersion != null && stageVersion < 1) {
                throw new UsageException("--stage-version is a flag version, 1 or more; got " + stageVersion);
            }
            Integer index = number == null ? null : number - 1;
            RollguardApi.Answer answer = action.equals("advance")
                    ? root.api.promote(key, reason, false, null, stageVersion)
                    : root.api.stage(key, action, index, reason, stageVersion);
            JsonNode f = check(answer, "changing the stage of " + key).body();
            if (root.json()) {
                root.printJson(f);
            } else {
                root.out.printf("%s: stage %s, rollout %s%n", key, stage(f), percent(f.path("rolloutPercentage")));
            }
            return 0;
        }
    }

    @Command(
            name = "kill-switch",
            description = "The global kill switch: on (every flag serves its off value), off, or show it.")
    static final class KillSwitch extends Base {
        @Parameters(arity = "0..1", paramLabel = "on|off")
        String state;

        @Option(names = "--reason", description = "Why; required to switch.")
        String reason;

        @Override
        public Integer call() {
            String url = root.api.endpoints().flagService() + "/api/kill-switch";
            String token = root.api.endpoints().adminToken();
            RollguardApi.Answer answer;
            if (state == null) {
                answer = check(root.api.send("GET", url, token, null, Map.of()), "reading the kill switch");
            } else {
                if (reason == null || reason.isBlank()) {
                    throw new UsageException("kill-switch " + state + " needs --reason");
                }
                var body = RollguardApi.JSON.createObjectNode().put("reason", reason);
                answer = switch (state) {
                    case "on" ->
                        check(root.api.send("POST", url, token, body, Map.of()), "switching the kill switch on");
                    // A DELETE carries its reason as a query parameter, where the flag-service reads it (and audits
                    // it).
                    case "off" ->
                        check(
                                root.api.send(
                                        "DELETE",
                                        url + "?reason=" + URLEncoder.encode(reason, StandardCharsets.UTF_8),
                                        token,
                                        null,
                                        Map.of()),
                                "switching the kill switch off");
                    default -> throw new UsageException("kill-switch takes on or off; got " + state);
                };
            }
            if (root.json()) {
                root.printJson(answer.body());
            } else {
                JsonNode b = answer.body();
                boolean on = b.path("active")
                        .asBoolean(b.path("killed").asBoolean(b.path("on").asBoolean()));
                root.out.printf(
                        "global kill switch: %s%s%n",
                        on ? "ON" : "off",
                        b.hasNonNull("reason") ? " — " + b.path("reason").asText() : "");
            }
            return 0;
        }
    }

    @Command(name = "alerts", description = "Active alerts (--all for history); --watch streams changes live.")
    static final class Alerts extends Base {
        @Option(names = "--all", description = "Include resolved alerts.")
        boolean all;

        @Option(
                names = {"-w", "--watch"},
                description = "After the list, print alert changes as they happen (Ctrl-C to stop).")
        boolean watch;

        @Override
        public Integer call() throws IOException, InterruptedException {
            JsonNode alerts = check(root.api.alerts(all ? "view=history" : "view=active"), "listing alerts")
                    .body();
            JsonNode items = alerts.isArray() ? alerts : alerts.path("items");
            Table table = new Table("STATUS", "SEVERITY", "RULE", "SCOPE", "VALUE", "THRESHOLD", "SINCE");
            if (root.json()) {
                root.printJson(items);
            } else {
                items.forEach(a -> addAlert(table, a));
                table.print(root.out);
            }
            if (watch) {
                watch();
            }
            return 0;
        }

        static void addAlert(Table table, JsonNode a) {
            table.row(
                    text(a, "status"),
                    text(a, "severity"),
                    text(a, "ruleName"),
                    a.hasNonNull("flagKey")
                            ? "flag " + a.path("flagKey").asText()
                                    + (a.hasNonNull("cohort")
                                            ? "/" + a.path("cohort").asText().toLowerCase()
                                            : "")
                            : text(a, "scopeKey"),
                    a.path("observedValue").isNumber()
                            ? trim(a.path("observedValue").asDouble())
                            : null,
                    a.path("threshold").isNumber() ? trim(a.path("threshold").asDouble()) : null,
                    text(a, "startsAt"));
        }

        private void watch() throws IOException, InterruptedException {
            HttpResponse<java.io.InputStream> response = root.api.openStream(
                    root.api.endpoints().alertService() + "/api/alerts/stream",
                    root.api.endpoints().adminToken());
            if (response.statusCode() != 200) {
                throw new ApiException(
                        "HTTP_" + response.statusCode(), "watching alerts failed: HTTP " + response.statusCode());
            }
            try (var reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                for (String line; (line = reader.readLine()) != null; ) {
                    if (!line.startsWith("data:")) {
                        continue;
                    }
                    JsonNode alert =
                            RollguardApi.JSON.readTree(line.substring(5).strip());
                    if (root.json()) {
                        root.out.println(alert);
                    } else {
                        Table row = new Table("STATUS", "SEVERITY", "RULE", "SCOPE", "VALUE", "THRESHOLD", "SINCE");
                        addAlert(row, alert.has("alert") ? alert.get("alert") : alert);
                        var buffer = new java.io.ByteArrayOutputStream();
                        row.print(new PrintStream(buffer, true, StandardCharsets.UTF_8));
                        String[] lines = buffer.toString(StandardCharsets.UTF_8).split("\n");
                        root.out.println(lines[lines.length - 1]);
                    }
                }
            }
        }
    }

    @Command(
            name = "guard",
            description = "The guard's verdict on each flag under rollout: NO_DATA, INSUFFICIENT_DATA, INCONCLUSIVE,"
                    + " HEALTHY or REGRESSION, with the evidence (--flag for every metric of one flag).")
    static final class Guard extends Base {
        @Option(names = "--flag", description = "Every metric of this flag.")
        String flag;

        @Override
        public Integer call() {
            JsonNode list =
                    check(root.api.guard(), "reading the guard's verdicts").body();
            if (flag != null) {
                JsonNode one = null;
                for (JsonNode f : list) {
                    if (flag.equals(f.path("flagKey").asText())) {
                        one = f;
                    }
                }
                if (one == null) {
                    throw new ApiException(
                            "NOT_FOUND",
                            "the guard has no verdict on flag " + flag
                                    + " (not under rollout, or no window of it since the alert-service started)");
                }
                if (root.json()) {
                    root.printJson(one);
                    return 0;
                }
                root.out.println(flag + ": " + text(one, "summary"));
                Table table = new Table("METRIC", "STATUS", "TREATMENT", "CONTROL", "EFFECT", "CLIENTS", "EVIDENCE");
                for (JsonNode m : one.path("metrics")) {
                    table.row(
                            text(m, "label"),
                            text(m, "status"),
                            number(m, "treated"),
                            number(m, "control"),
                            m.path("relativeEffect").isNumber()
                                    ? trim(100 * m.path("relativeEffect").asDouble()) + " %"
                                    : null,
                            m.path("treatedClients").asLong() + " vs "
                                    + m.path("controlClients").asLong(),
                            trim(m.path("evidence").asDouble()));
                }
                table.print(root.out);
                return 0;
            }
            if (root.json()) {
                root.printJson(list);
                return 0;
            }
            Table table = new Table("FLAG", "STATUS", "SEVERITY", "JUDGED", "SUMMARY");
            for (JsonNode f : list) {
                table.row(
                        text(f, "flagKey"),
                        text(f, "status"),
                        text(f, "severity"),
                        text(f, "judgedAt"),
                        text(f, "summary"));
            }
            table.print(root.out);
            return 0;
        }

        private static String number(JsonNode node, String field) {
            return node.path(field).isNumber() ? trim(node.path(field).asDouble()) : null;
        }
    }

    @Command(name = "rollbacks", description = "What the rollback-service did, newest first.")
    static final class Rollbacks extends Base {
        @Option(names = "--flag", description = "Only this flag.")
        String flag;

        @Override
        public Integer call() {
            JsonNode list = check(root.api.rollbacks(flag), "listing rollbacks").body();
            JsonNode items = list.isArray() ? list : list.path("items");
            if (root.json()) {
                root.printJson(items);
                return 0;
            }
            Table table = new Table("WHEN", "FLAG", "ACTION", "OUTCOME", "RULE", "VALUE", "THRESHOLD", "BREACH->FLIP");
            for (JsonNode r : items) {
                table.row(
                        text(r, "alertReceivedAt"),
                        text(r, "flagKey"),
                        text(r, "action"),
                        text(r, "outcome"),
                        text(r, "ruleName"),
                        r.path("observedValue").isNumber()
                                ? trim(r.path("observedValue").asDouble())
                                : null,
                        r.path("threshold").isNumber()
                                ? trim(r.path("threshold").asDouble())
                                : null,
                        breachToFlip(r));
            }
            table.print(root.out);
            return 0;
        }

        static String breachToFlip(JsonNode r) {
            try {
                var breach = java.time.Instant.parse(r.path("firstBreachAt").asText());
                var flip = java.time.Instant.parse(r.path("flagChangedAt").asText());
                return trim(java.time.Duration.between(breach, flip).toMillis() / 1000.0) + " s";
            } catch (RuntimeException notThere) {
                return null;
            }
        }
    }

    @Command(
            name = "rollouts",
            description = "The steps the promoter took by itself (promote, extend, hold, revert), newest first, with"
                    + " their evidence: clients per cohort against the minimum, the guard's verdict and confidence.")
    static final class Rollouts extends Base {
        @Option(names = "--flag", description = "Only this flag.")
        String flag;

        @Option(names = "--limit", description = "At most this many steps (the rollback-service's default otherwise).")
        Integer limit;

        @Override
        public Integer call() {
            if (limit != null && limit < 1) {
                throw new UsageException("--limit must be at least 1, was " + limit);
            }
            JsonNode list = check(root.api.rollouts(flag, limit), "listing rollout steps")
                    .body();
            JsonNode items = list.isArray() ? list : list.path("items");
            if (root.json()) {
                root.printJson(items);
                return 0;
            }
            Table table =
                    new Table("WHEN", "FLAG", "ACTION", "OUTCOME", "STAGE", "ROLLOUT", "CLIENTS", "VERDICT", "REASON");
            for (JsonNode r : items) {
                table.row(
                        instant(r.path("decidedAt")),
                        text(r, "flagKey"),
                        text(r, "action"),
                        text(r, "outcome"),
                        fromTo(text(r, "fromStageName"), text(r, "toStageName")),
                        fromTo(percent(r.path("fromPercentage")), percent(r.path("toPercentage"))),
                        r.path("treatedClients").asLong() + "/"
                                + r.path("controlClients").asLong() + " of "
                                + r.path("minClientsPerCohort").asLong(),
                        verdict(r),
                        text(r, "reason"));
            }
            table.print(root.out);
            return 0;
        }

        private static String verdict(JsonNode r) {
            if (!r.hasNonNull("verdict")) {
                return null;
            }
            JsonNode confidence = r.path("confidence");
            return r.path("verdict").asText()
                    + (confidence.isNumber() ? " " + trim(100 * confidence.asDouble()) + " %" : "");
        }

        private static String fromTo(String from, String to) {
            if (from == null || to == null || from.equals(to)) {
                return from == null ? to : from;
            }
            return from + " -> " + to;
        }

        /** An instant as ISO text, whether the service wrote it as text or as epoch milliseconds. */
        private static String instant(JsonNode value) {
            if (value.isNumber()) {
                return java.time.Instant.ofEpochMilli(value.asLong()).toString();
            }
            return value.isTextual() ? value.asText() : null;
        }
    }

    @Command(name = "report", description = "The replication health report (metrics-ingest).")
    static final class Report extends Base {
        @Option(names = "--flag", description = "Only telemetry of this flag's cohorts.")
        String flag;

        @Option(names = "--cohort", description = "treatment or control (with --flag).")
        String cohort;

        @Override
        public Integer call() throws IOException, InterruptedException {
            StringBuilder url = new StringBuilder(root.api.endpoints().metricsIngest() + "/api/health-report");
            String sep = "?";
            if (flag != null) {
                url.append(sep).append("flag=").append(URLEncoder.encode(flag, StandardCharsets.UTF_8));
                sep = "&";
            }
            if (cohort != null) {
                url.append(sep).append("cohort=").append(URLEncoder.encode(cohort, StandardCharsets.UTF_8));
            }
            RollguardApi.Answer answer = check(
                    root.api.send(
                            "GET",
                            url.toString(),
                            root.api.endpoints().adminToken(),
                            null,
                            Map.of("Accept", root.json() ? "application/json" : "text/plain")),
                    "reading the health report");
            root.out.println(answer.text());
            return 0;
        }
    }

    @Command(name = "audit", description = "The flag-service audit log, newest first.")
    static final class Audit extends Base {
        @Option(names = "--flag", description = "Only this flag.")
        String flag;

        @Override
        public Integer call() {
            JsonNode list = check(root.api.audit(flag), "reading the audit log").body();
            JsonNode items = list.isArray() ? list : list.path("items");
            if (root.json()) {
                root.printJson(items);
                return 0;
            }
            Table table = new Table("WHEN", "FLAG", "ACTION", "ACTOR", "REASON");
            items.forEach(e -> table.row(
                    text(e, "at"), text(e, "flagKey"), text(e, "action"), text(e, "actor"), text(e, "reason")));
            table.print(root.out);
            return 0;
        }
    }
}
