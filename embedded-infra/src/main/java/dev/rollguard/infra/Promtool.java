package dev.rollguard.infra;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Prometheus' own checker, {@code promtool} (Debian's {@code prometheus} package), for tests: whether a scrape of
 * {@code /q/metrics} is valid exposition text with proper help and names ({@code check metrics}), and whether rule
 * files load ({@code check rules}). {@code bin/rollguard test} installs the package where it is missing; a test JVM
 * running as root on Debian installs it itself.
 */
public final class Promtool {

    /**
     * Lint findings on names that Rollguard does not choose and keeps as their owners publish them, so that
     * dashboards made for them work: the Kafka clients' own metric names ({@code kafka_consumer_io_time_ns_total},
     * the gauge {@code kafka_consumer_connection_count}) and two of Micrometer's standard meters ({@code
     * process.cpu.time} in nanoseconds, {@code system.cpu.count}). Anything else promtool reports fails the check.
     */
    public static final List<Pattern> THIRD_PARTY_NAMES = List.of(
            Pattern.compile("kafka_[a-z0-9_]+ metric names should not contain abbreviated units"),
            Pattern.compile(
                    "kafka_[a-z0-9_]+_count non-histogram and non-summary metrics should not have \"_count\" suffix"),
            Pattern.compile("process_cpu_time_ns_total metric names should not contain abbreviated units"),
            Pattern.compile(
                    "system_cpu_count non-histogram and non-summary metrics should not have \"_count\" suffix"));

    /** What promtool said, and whether it accepted the input. */
    public record Result(int exitCode, String output) {
        public boolean ok() {
            return exitCode == 0;
        }

        /**
         * Whether {@code check metrics} could read the exposition at all: exit 0 (clean) or 3 (read, with lint
         * findings); 1 is a parse error such as an escape the text format does not have.
         */
        public boolean parsed() {
            return exitCode == 0 || exitCode == 3;
        }

        /** promtool's findings, one a line, less those matching one of {@code accepted}. */
        public List<String> findingsBeyond(List<Pattern> accepted) {
            return output.lines()
                    .map(String::strip)
                    .filter(line -> !line.isEmpty())
                    .filter(line ->
                            accepted.stream().noneMatch(p -> p.matcher(line).matches()))
                    .toList();
        }
    }

    private static String command;

    private Promtool() {}

    /** {@code promtool check metrics} on an exposition (the body of a scrape), read from standard input. */
    public static Result checkMetrics(String exposition) {
        return run(exposition, List.of("check", "metrics"));
    }

    /** {@code promtool check rules} on Prometheus rule files (groups of alerting and recording rules). */
    public static Result checkRules(Path... files) {
        List<String> arguments = new ArrayList<>(List.of("check", "rules"));
        for (Path file : files) {
            arguments.add(file.toString());
        }
        return run("", arguments);
    }

    /**
     * Checks a scrape of a service's {@code /q/metrics} the way every service's exposition test does: promtool must
     * read it, and report nothing beyond {@link #THIRD_PARTY_NAMES}. The scrape and promtool's answer are kept under
     * target/promtool/metrics-exposition.*.
     *
     * @throws AssertionError naming promtool's findings when the check fails
     */
    public static void assertCleanScrape(String scrape) {
        Result check = checkMetrics(scrape);
        keep("metrics-exposition", scrape, check);
        if (!check.parsed()) {
            throw new AssertionError("promtool check metrics could not read the scrape (exit " + check.exitCode()
                    + "): " + check.output());
        }
        List<String> findings = check.findingsBeyond(THIRD_PARTY_NAMES);
        if (!findings.isEmpty()) {
            throw new AssertionError("promtool check metrics: " + String.join("\n", findings));
        }
    }

    /** Keeps what was checked and promtool's answer in target/promtool/NAME.{txt,out}, for a look after a failure. */
    public static void keep(String name, String input, Result result) {
        Path dir = Path.of("target", "promtool");
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve(name + ".txt"), input);
            Files.writeString(dir.resolve(name + ".out"), "exit " + result.exitCode() + "\n" + result.output());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Result run(String input, List<String> arguments) {
        List<String> line = new ArrayList<>();
        line.add(executable());
        line.addAll(arguments);
        try {
            Process process = new ProcessBuilder(line).redirectErrorStream(true).start();
            try (OutputStream stdin = process.getOutputStream()) {
                stdin.write(input.getBytes(StandardCharsets.UTF_8));
            }
            String output = readAll(process.getInputStream());
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("promtool did not finish within 60 s: " + line);
            }
            return new Result(process.exitValue(), output);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The promtool on the PATH; installed with apt-get first when missing and this JVM may do so. */
    static synchronized String executable() {
        if (command != null) {
            return command;
        }
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "promtool"))) {
                return command = Path.of(dir, "promtool").toString();
            }
        }
        if (Files.isExecutable(Path.of("/usr/bin/apt-get")) && "root".equals(System.getProperty("user.name"))) {
            install();
            if (Files.isExecutable(Path.of("/usr/bin/promtool"))) {
                return command = "/usr/bin/promtool";
            }
        }
        throw new IllegalStateException("promtool is missing: install Debian's 'prometheus' package "
                + "(bin/rollguard test does), or Prometheus' own release, and put promtool on the PATH");
    }

    private static void install() {
        for (List<String> step : List.of(
                List.of("apt-get", "update", "-qq"),
                List.of("apt-get", "install", "-y", "-qq", "--no-install-recommends", "prometheus"))) {
            try {
                ProcessBuilder builder = new ProcessBuilder(step).redirectErrorStream(true);
                builder.environment().put("DEBIAN_FRONTEND", "noninteractive");
                Process process = builder.start();
                String output = readAll(process.getInputStream());
                if (process.waitFor() != 0) {
                    throw new IllegalStateException(String.join(" ", step) + " failed:\n" + output);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    private static String readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        in.transferTo(out);
        return out.toString(StandardCharsets.UTF_8);
    }
}
