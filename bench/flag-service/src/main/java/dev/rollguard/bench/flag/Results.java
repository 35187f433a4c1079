package dev.rollguard.bench.flag;

import dev.rollguard.infra.ResultsFile;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * bench/results/flag-service.md: each phase replaces its own section, so a phase rerun alone keeps the figures of the
 * others (each section carries its own date and load average), and adds a row of its headline figures to "Run
 * history"; the file's other sections stay as they are.
 */
final class Results {

    static final String COMMAND = "./mvnw -B -ntp -o -q -f bench/flag-service/pom.xml compile exec:exec";
    static final String HISTORY = "Run history";
    private static final String OPENING = "# flag-service benchmark\n\n"
            + "Written by `bench/flag-service` (see flag-service/README.md), one section per phase; a phase rerun alone"
            + " replaces its own section and adds a row to \"Run history\", and every other section is kept as it is."
            + " Each section says when it was measured and the load average (`/proc/loadavg`) before and after it."
            + " Command, from the repository root, after building the service (flag-service/README.md); every phase"
            + " with the defaults (`-Dbench.phases=jmh,single,targeted,bulk,unleash,sse -Dbench.seconds=20"
            + " -Dbench.connections=32 -Dbench.sse-changes=200`):\n\n```\n"
            + COMMAND
            + "\n```\n\nEach section names the command that reruns it alone.\n";
    private static final String HISTORY_HEAD =
            """
            One row per phase run, the newest last, with its headline figures; the full figures of a phase's newest run
            are in its section, earlier ones' in the file's git history. Load average: 1 minute, before the phase.

            | run (UTC) | code | phase | load avg | figures |
            | --- | --- | --- | --- | --- |
            """;

    private final Path file;
    private final String code;

    /** The results file {@code file}, of the benchmark built from the work tree at {@code root}. */
    Results(Path file, Path root) {
        this.file = file;
        this.code = ResultsFile.codeVersion(root);
    }

    /**
     * Replaces the section of this heading with {@code body}, adds the phase's row to the run history and writes the
     * file, so a later phase that fails leaves this one's figures written.
     */
    void put(String heading, String phase, String loadBefore, String body, String figures) throws IOException {
        String row = "| "
                + Instant.now()
                        .truncatedTo(ChronoUnit.SECONDS)
                        .toString()
                        .replace('T', ' ')
                        .replace("Z", "") + " | " + code + " | " + phase + " | "
                + loadBefore.split("\\s+")[0] + " | " + figures + " |";
        ResultsFile.read(file, OPENING)
                .replace(heading, body)
                .addRow(HISTORY, HISTORY_HEAD, row)
                .write();
    }
}
