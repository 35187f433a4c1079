package dev.rollguard.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code bin/rollguard status} and {@code down} on processes of a stack (stand-ins on free ports): down stops what
 * the stack started, graceful first, and never a process its pid file names without being the stack's.
 */
class LocalStackMainTest {

    @TempDir
    Path state;

    private ServiceProcess fake(String name, boolean ofThisStack) throws IOException {
        ServiceProcess.Builder builder = ServiceProcess.main(name, FakeService.class.getName(), List.of())
                .port(Ports.free())
                .log(state.resolve("logs").resolve(name + ".log"))
                .detached();
        if (ofThisStack) {
            builder.jvmArgs(List.of("-Drollguard.stack=" + state));
        }
        ServiceProcess process = builder.start().awaitReady(Duration.ofSeconds(60));
        Files.createDirectories(state.resolve("pids"));
        Files.writeString(state.resolve("pids").resolve(name + ".pid"), process.pid() + "\n");
        return process;
    }

    private String run(String... command) {
        PrintStream before = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            String[] args = new String[command.length + 4];
            args[0] = "--root";
            args[1] = state.toString();
            args[2] = "--state";
            args[3] = state.toString();
            System.arraycopy(command, 0, args, 4, command.length);
            assertThat(new CommandLine(new LocalStackMain()).execute(args)).isZero();
        } finally {
            System.setOut(before);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void statusAndDownSeeOnlyTheProcessesOfThisStack() throws IOException {
        ServiceProcess kafka = fake("kafka", true);
        // A pid file naming a process that is not this stack's (a recycled pid, another checkout's stack).
        ServiceProcess stranger = fake("postgres", false);
        try {
            String status = run("status");

            assertThat(status)
                    .contains(String.format("%-18s %-8s %-9s %s", "kafka", kafka.pid(), "running", "yes"))
                    .contains(String.format("%-18s %-8s %-9s %s", "postgres", "-", "stopped", "-"))
                    .contains(String.format("%-18s %-8s %-9s %s", "flag-service", "-", "stopped", "-"));

            String down = run("down");

            assertThat(down)
                    .contains("stopped kafka (pid " + kafka.pid() + ")")
                    .doesNotContain("stopped postgres")
                    .endsWith("Rollguard is down.\n");
            assertThat(kafka.isAlive()).isFalse();
            assertThat(Files.readString(kafka.log())).contains("fake stopped gracefully");
            assertThat(stranger.isAlive()).isTrue();
            assertThat(state.resolve("pids/kafka.pid")).doesNotExist();
        } finally {
            kafka.stop();
            stranger.stop();
        }
    }

    @Test
    void stopStopsTheNamedComponentsOnly() throws IOException {
        ServiceProcess flags = fake("flag-service", true);
        ServiceProcess alerts = fake("alert-service", true);
        try {
            String out = run("stop", "flag-service");

            assertThat(out).isEqualTo("stopped flag-service (pid " + flags.pid() + ")\n");
            assertThat(flags.isAlive()).isFalse();
            assertThat(alerts.isAlive()).isTrue();
        } finally {
            flags.stop();
            alerts.stop();
        }
    }

    /**
     * A process of this stack is found the moment it was started: its {@code /proc/<pid>/cmdline} reads empty while
     * it execs (setsid becoming its command), and a read in two parts across an exec sees "/" alone. Either made
     * {@code up} report a component that had just started as "exited during start" now and then (a few in a hundred
     * launches on a loaded machine); 300 launches here missed up to 16 before.
     */
    @Test
    void runningFindsAProcessOfThisStackTheMomentItIsStarted() throws Exception {
        Path setsid = Path.of("/usr/bin/setsid");
        assumeTrue(Files.isExecutable(setsid), "needs " + setsid);
        LocalStackMain stack = new LocalStackMain();
        stack.root = state;
        stack.state = state;
        for (int i = 0; i < 300; i++) {
            // "; :" keeps the shell from exec'ing sleep, which would leave the marker out of the command line.
            Process process = new ProcessBuilder(setsid.toString(), "/bin/sh", "-c", "sleep 5; :", stack.marker())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            try {
                LocalStackMain.write(stack.pidFile("x"), process.pid() + "\n");

                assertThat(stack.running("x")).as("launch %d", i).isPresent();
            } finally {
                process.destroyForcibly();
                process.waitFor();
            }
        }
    }

    @Test
    void theEnvFileQuotesWhatTheShellWouldSplit() {
        assertThat(LocalStackMain.shellQuoted("jdbc:postgresql://db:5432/postgres"))
                .isEqualTo("jdbc:postgresql://db:5432/postgres");
        assertThat(LocalStackMain.shellQuoted("it's a pass word")).isEqualTo("'it'\\''s a pass word'");
    }

    @org.junit.jupiter.api.Test
    void aServicesPortMayBeMovedAndABadOneIsSaid() {
        assertThat(LocalStackMain.port("flag-service", java.util.Map.of())).isEqualTo(8081);
        assertThat(LocalStackMain.port("console", java.util.Map.of("ROLLGUARD_CONSOLE_PORT", " 9085 ")))
                .isEqualTo(9085);
        assertThat(LocalStackMain.portVariable("rollback-service")).isEqualTo("ROLLGUARD_ROLLBACK_SERVICE_PORT");
        for (String bad : List.of("eighty", "0", "70000")) {
            assertThat(org.assertj.core.api.Assertions.catchThrowable(() ->
                            LocalStackMain.port("flag-service", java.util.Map.of("ROLLGUARD_FLAG_SERVICE_PORT", bad))))
                    .as(bad)
                    .isInstanceOf(LocalStackMain.Failure.class)
                    .hasMessageContaining("ROLLGUARD_FLAG_SERVICE_PORT must be a port number");
        }
    }

    @org.junit.jupiter.api.Test
    void eachServiceIsToldWhereTheOthersItCallsAnswer() {
        // Every service another one calls: its URL goes to that one, so a moved port is followed.
        assertThat(LocalStackMain.peerUrls("console"))
                .containsEntry("CONSOLE_SERVICES_FLAG_SERVICE", LocalStackMain.url("flag-service"))
                .containsEntry("CONSOLE_SERVICES_METRICS_INGEST", LocalStackMain.url("metrics-ingest"))
                .containsEntry("CONSOLE_SERVICES_ALERT_SERVICE", LocalStackMain.url("alert-service"))
                .containsEntry("CONSOLE_SERVICES_ROLLBACK_SERVICE", LocalStackMain.url("rollback-service"));
        assertThat(LocalStackMain.peerUrls("rollback-service"))
                .containsEntry("ROLLBACK_SERVICE_FLAG_SERVICE_URL", LocalStackMain.url("flag-service"))
                .containsEntry("ROLLBACK_SERVICE_ALERT_SERVICE_URL", LocalStackMain.url("alert-service"));
        assertThat(LocalStackMain.peerUrls("alert-service"))
                .containsEntry("ALERT_SERVICE_WEBHOOKS_CONSOLE_URL", LocalStackMain.url("console"));
    }
}
