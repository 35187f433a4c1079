package dev.rollguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The script's own commands ({@code up}, {@code down}, {@code status}, {@code logs}, {@code demo}, {@code test},
 * {@code images}, {@code help}) keep the CLI's promises ({@link RollguardCliTest} covers the operator commands):
 * {@code --help} everywhere (exit 0), global options anywhere, exit 2 for usage mistakes and 1 for failures, errors
 * as JSON under {@code -o json}. Only usage paths and failures that start nothing: a state directory of the test's
 * own, and no Docker engine reachable.
 */
class BinRollguardTest {

    static final Path SCRIPT = Path.of("..").toAbsolutePath().normalize().resolve("bin/rollguard");
    static final List<String> STACK_COMMANDS = List.of("up", "down", "status", "logs", "demo", "test", "images");
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path state;

    record Run(int exitCode, String out, String err) {}

    /**
     * A PATH without java: should a usage path ever fall through to {@code up}, {@code demo} or {@code test}, the
     * command fails at its Java check instead of building or starting a stack on the fixed ports.
     */
    static Path pathWithoutJava;

    @BeforeAll
    static void theScriptIsThereAndJavaIsNot() throws IOException {
        assertThat(SCRIPT).isExecutable();
        pathWithoutJava = Files.createDirectories(state.resolve("bin"));
        for (String dir : List.of("/usr/local/bin", "/usr/bin", "/bin")) {
            if (!Files.isDirectory(Path.of(dir))) {
                continue;
            }
            try (var tools = Files.list(Path.of(dir))) {
                for (Path tool : tools.toList()) {
                    Path link = pathWithoutJava.resolve(tool.getFileName());
                    String name = tool.getFileName().toString();
                    if (!name.startsWith("java")
                            && !name.equals("mvn")
                            && !Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                        Files.createSymbolicLink(link, tool);
                    }
                }
            }
        }
    }

    static Run run(String... args) {
        List<String> line = new ArrayList<>(List.of("bash", SCRIPT.toString()));
        line.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(line);
        builder.environment().put("ROLLGUARD_STATE_DIR", state.toString());
        builder.environment().put("PATH", pathWithoutJava.toString());
        builder.environment().remove("JAVA_HOME");
        // No engine answers there: `images` must say so before building anything.
        builder.environment().put("DOCKER_HOST", "unix://" + state.resolve("no-docker.sock"));
        try {
            Path out = Files.createTempFile(state, "out", ".txt");
            Path err = Files.createTempFile(state, "err", ".txt");
            Process process = builder.redirectOutput(out.toFile())
                    .redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("bin/rollguard " + String.join(" ", args) + " did not end within 60 s");
            }
            return new Run(
                    process.exitValue(),
                    Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"up", "down", "status", "logs", "demo", "test", "images"})
    void everyStackCommandHasHelpInEveryForm(String command) {
        for (List<String> line : List.of(
                List.of(command, "--help"),
                List.of(command, "-h"),
                List.of("help", command),
                List.of("-o", "json", command, "--help"),
                List.of(command, "--help", "-o", "json"))) {
            Run run = run(line.toArray(String[]::new));
            assertThat(run.exitCode()).as(line.toString()).isZero();
            assertThat(run.out()).as(line.toString()).startsWith("Usage: bin/rollguard " + command);
            assertThat(run.err()).as(line.toString()).isEmpty();
        }
    }

    @Test
    void theTopLevelHelpListsEveryCommandAndTheExitCodes() {
        for (String help : List.of("--help", "-h", "help")) {
            Run run = run(help);
            assertThat(run.exitCode()).as(help).isZero();
            assertThat(run.out()).contains("exit 0 done, 1 failed, 2 usage");
            for (String command : STACK_COMMANDS) {
                assertThat(run.out()).as(help).containsPattern("(?m)^  " + command + "\\b");
            }
            assertThat(run.out()).contains("flags", "kill KEY", "rollout get KEY", "guard", "rollbacks", "audit");
        }
        assertThat(run().exitCode()).as("no arguments: the usage").isZero();
    }

    @Test
    void usageMistakesExitTwoWithTheWayToHelp() {
        for (List<String> line : List.of(
                List.of("nosuch"),
                List.of("help", "nosuch"),
                List.of("up", "extra"),
                List.of("status", "--verbose"),
                List.of("logs"),
                List.of("logs", "nosuch"),
                List.of("logs", "kafka", "postgres"),
                List.of("images", "--bogus"),
                List.of("images", "--push"),
                List.of("images", "--tag", "bad tag"))) {
            Run run = run(line.toArray(String[]::new));
            assertThat(run.exitCode()).as(line.toString()).isEqualTo(2);
            assertThat(run.out()).as(line.toString()).isEmpty();
            assertThat(run.err()).as(line.toString()).startsWith("rollguard: ").contains("--help");
        }
    }

    @Test
    void failuresExitOneAndSayWhy() {
        Run noJava = run("up");
        assertThat(noJava.exitCode())
                .as("the guard of this test: no java, no stack")
                .isEqualTo(1);
        assertThat(noJava.err()).contains("java is not on the PATH");

        Run noLog = run("logs", "flag-service");
        assertThat(noLog.exitCode()).isEqualTo(1);
        assertThat(noLog.err()).contains("no log of flag-service yet");

        long start = System.nanoTime();
        Run noEngine = run("images");
        assertThat(noEngine.exitCode()).isEqualTo(1);
        assertThat(noEngine.err())
                .contains("no container engine answers here")
                .contains("images --push REGISTRY")
                .contains(".github/workflows/images.yml");
        assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start))
                .as("it says so before building anything")
                .isLessThan(30);
        assertThat(state.resolve("logs/images.log")).doesNotExist();
    }

    @Test
    void everyCommandOfTheCliIsHandedToIt() {
        // Without java, a command handed to the CLI fails at its Java check (exit 1), not as unknown (exit 2).
        for (List<String> line : List.of(
                List.of("rules", "get", "checkout"),
                List.of("segment", "list"),
                List.of("silence", "list"),
                List.of("help", "segment"))) {
            Run run = run(line.toArray(String[]::new));
            assertThat(run.exitCode()).as(line.toString()).isEqualTo(1);
            assertThat(run.err()).as(line.toString()).contains("java is not on the PATH");
        }
        assertThat(run("--help").out()).contains("rules get|set|preview KEY", "segment list|", "silence add|");
    }

    @Test
    void theLocalStacksEnvFileFillsInWhatIsUnsetAndNothingWhenAnotherStacksEndpointIsSet()
            throws IOException, InterruptedException {
        Path env = Files.writeString(
                state.resolve("fallback.env"),
                "export ROLLGUARD_FLAG_SERVICE_URL=http://127.0.0.1:8081\n"
                        + "export ROLLGUARD_ADMIN_TOKEN=rg_admin_local\n"
                        + "export ROLLGUARD_ALERT_SERVICE_URL='http://127.0.0.1:8083'\n"
                        + "not a setting\n");
        String script = "source <(sed -n '/^env_fallback() {/,/^}/p' \"$1\"); env_fallback \"$2\"; "
                + "echo \"$ROLLGUARD_FLAG_SERVICE_URL|$ROLLGUARD_ADMIN_TOKEN|$ROLLGUARD_ALERT_SERVICE_URL\"";
        ProcessBuilder builder = new ProcessBuilder("bash", "-c", script, "bash", SCRIPT.toString(), env.toString());
        builder.environment().put("ROLLGUARD_FLAG_SERVICE_URL", "https://flags.example.com");
        builder.environment().remove("ROLLGUARD_ADMIN_TOKEN");
        builder.environment().remove("ROLLGUARD_ALERT_SERVICE_URL");
        Process process = builder.redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();

        assertThat(out.strip())
                .as("an endpoint of another stack set: nothing of the local stack's file, its token least of all")
                .isEqualTo("https://flags.example.com||");

        ProcessBuilder local = new ProcessBuilder("bash", "-c", script, "bash", SCRIPT.toString(), env.toString());
        local.environment().keySet().removeIf(name -> name.startsWith("ROLLGUARD_"));
        local.environment().put("ROLLGUARD_ADMIN_TOKEN", "rg_admin_mine");
        Process filled = local.redirectErrorStream(true).start();
        String fromFile = new String(filled.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(filled.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(fromFile.strip())
                .as("no endpoint set: the file fills in what is unset, a token set here is kept")
                .isEqualTo("http://127.0.0.1:8081|rg_admin_mine|http://127.0.0.1:8083");
    }

    @Test
    void underJsonOutputErrorsAreJsonWhereverTheOptionStands() throws IOException {
        for (List<String> line : List.of(
                List.of("-o", "json", "nosuch"),
                List.of("nosuch", "-o", "json"),
                List.of("--output=json", "images", "--bogus"),
                List.of("images", "--bogus", "--output", "json"),
                List.of("-ojson", "logs"))) {
            Run run = run(line.toArray(String[]::new));
            assertThat(run.exitCode()).as(line.toString()).isEqualTo(2);
            JsonNode error = JSON.readTree(run.err());
            assertThat(error.path("code").asText()).as(line.toString()).isEqualTo("USAGE");
            assertThat(error.path("message").asText()).as(line.toString()).isNotBlank();
        }
        Run failure = run("images", "-o", "json");
        assertThat(failure.exitCode()).isEqualTo(1);
        JsonNode error = JSON.readTree(failure.err());
        assertThat(error.path("code").asText()).isEqualTo("FAILED");
        assertThat(error.path("message").asText()).contains("no container engine");
    }
}
