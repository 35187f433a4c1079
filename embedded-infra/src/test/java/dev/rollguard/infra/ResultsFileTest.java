package dev.rollguard.infra;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A benchmark run changes only its own sections of a results file; what others wrote stays byte for byte. */
class ResultsFileTest {

    private static final String OPENING = "# x benchmark\n\nWritten by `bench/x`.\n";

    /** Sections another writer or a person added, with the oddities such text has. */
    private static final String FOREIGN_BEFORE =
            """
            # x benchmark

            Opening paragraph written by hand,\s\s
            with a trailing double space.

            ## Notes (moved from the service README)

            Kept word for word.
            ### A subsection

            ```
            ## not a heading: inside a code block
            ```


            """;

    private static final String OWN =
            """
            ## Last run

            | a | b |
            | --- | --- |
            | 1 | 2 |

            """;
    private static final String FOREIGN_AFTER =
            """
            ## Earlier runs
            text without a blank line after the heading\t
            ## Earlier runs

            A second section of the same heading (its anchor is #earlier-runs-1).""";

    @TempDir
    Path dir;

    @Test
    void aRunReplacingItsSectionKeepsEveryOtherSectionByteForByte() throws IOException {
        Path file = dir.resolve("x.md");
        Files.writeString(file, FOREIGN_BEFORE + OWN + FOREIGN_AFTER);

        ResultsFile.read(file, OPENING)
                .replace("Last run", "| a | b |\n| --- | --- |\n| 3 | 4 |")
                .write();

        assertThat(Files.readString(file))
                .isEqualTo(FOREIGN_BEFORE + "## Last run\n\n| a | b |\n| --- | --- |\n| 3 | 4 |\n\n" + FOREIGN_AFTER);
    }

    @Test
    void aRerunReplacesItsOwnSectionInsteadOfAddingOne() throws IOException {
        Path file = dir.resolve("x.md");
        Files.writeString(file, FOREIGN_BEFORE + OWN + FOREIGN_AFTER);

        ResultsFile.read(file, OPENING).replace("Last run", "first run").write();
        ResultsFile.read(file, OPENING).replace("Last run", "second run").write();

        String text = Files.readString(file);
        assertThat(text).contains("## Last run\n\nsecond run\n\n").doesNotContain("first run", "| 1 | 2 |");
        assertThat(text.split("\n## Last run\n", -1)).hasSize(2);
        assertThat(text).startsWith(FOREIGN_BEFORE).endsWith(FOREIGN_AFTER);
    }

    @Test
    void aSectionTheFileLacksGoesAfterTheLastOneWithTheOthersUntouched() throws IOException {
        Path file = dir.resolve("x.md");
        Files.writeString(file, FOREIGN_BEFORE + OWN + FOREIGN_AFTER);

        ResultsFile.read(file, OPENING).replace("Run history", "new").write();

        assertThat(Files.readString(file))
                .isEqualTo(FOREIGN_BEFORE + OWN + FOREIGN_AFTER + "\n\n## Run history\n\nnew\n");
    }

    @Test
    void onlyTheFirstSectionOfAHeadingIsReplaced() throws IOException {
        Path file = dir.resolve("x.md");
        Files.writeString(file, FOREIGN_BEFORE + OWN + FOREIGN_AFTER);

        ResultsFile.read(file, OPENING).replace("Earlier runs", "replaced").write();

        assertThat(Files.readString(file))
                .isEqualTo(FOREIGN_BEFORE + OWN + "## Earlier runs\n\nreplaced\n\n"
                        + FOREIGN_AFTER.substring(FOREIGN_AFTER.indexOf("## Earlier runs\n\nA second")));
    }

    @Test
    void aFirstRunCreatesTheMissingFileWithItsOpening() throws IOException {
        Path file = dir.resolve("results/new.md");

        ResultsFile.read(file, OPENING)
                .replace("Last run", "figures\n")
                .addRow("Run history", "Every run.\n\n| run | figure |\n| --- | --- |", "| 1 | 5 |")
                .write();

        assertThat(Files.readString(file))
                .isEqualTo(OPENING + "\n## Last run\n\nfigures\n\n## Run history\n\nEvery run.\n\n"
                        + "| run | figure |\n| --- | --- |\n| 1 | 5 |\n");
    }

    @Test
    void aRowGoesAfterTheTableKeepingItsRowsAndTheTextAfterIt() throws IOException {
        Path file = dir.resolve("x.md");
        String history = "## Run history\n\nEvery run.\n\n| run | figure |\n| --- | --- |\n| 1 | 5 |\n\n"
                + "A note a person wrote under the table.\n\n";
        Files.writeString(file, FOREIGN_BEFORE + history + FOREIGN_AFTER);

        ResultsFile.read(file, OPENING)
                .addRow("Run history", "unused", "| 2 | 6 |")
                .write();

        assertThat(Files.readString(file))
                .isEqualTo(FOREIGN_BEFORE + history.replace("| 1 | 5 |\n", "| 1 | 5 |\n| 2 | 6 |\n") + FOREIGN_AFTER);
    }

    @Test
    void aRowGoesUnderAHistoryHeadingThatEndsTheFile() throws IOException {
        Path file = dir.resolve("x.md");
        Files.writeString(file, FOREIGN_BEFORE + "## Run history");

        ResultsFile.read(file, OPENING)
                .addRow("Run history", "unused", "| 1 | 5 |")
                .write();

        assertThat(Files.readString(file)).isEqualTo(FOREIGN_BEFORE + "## Run history\n\n| 1 | 5 |\n");
    }

    @Test
    void theBodyOfASectionIsTheTextUnderItsHeading() throws IOException {
        Path file = dir.resolve("x.md");
        Files.writeString(file, FOREIGN_BEFORE + OWN + FOREIGN_AFTER);

        ResultsFile results = ResultsFile.read(file, OPENING);

        assertThat(results.body("Last run")).contains("\n| a | b |\n| --- | --- |\n| 1 | 2 |\n\n");
        assertThat(results.body("Notes (moved from the service README)").orElseThrow())
                .contains("### A subsection", "## not a heading");
        assertThat(results.body("not a heading: inside a code block")).isEmpty();
    }

    @Test
    void everyResultsFileOfTheRepositoryReadsAndWritesBackUnchanged() throws IOException {
        Path results = Path.of("..", "bench", "results");
        try (Stream<Path> files = Files.list(results)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".md")).toList()) {
                Path copy = dir.resolve(file.getFileName());
                Files.copy(file, copy);

                ResultsFile.read(copy, OPENING).write();

                assertThat(Files.readString(copy)).as(file.toString()).isEqualTo(Files.readString(file));
            }
        }
    }

    @Test
    void theCodeVersionIsUnknownOutsideAGitRepository() {
        assertThat(ResultsFile.codeVersion(dir)).isEqualTo("unknown");
    }

    @Test
    void theCodeVersionIsTheCommitAndSaysWhenFilesOtherThanResultsChanged() throws Exception {
        Path results = dir.resolve("bench/results");
        Files.createDirectories(results);
        Files.writeString(results.resolve("x.md"), "# x\n");
        Files.writeString(dir.resolve("Code.java"), "class Code {}\n");
        git("init", "-q");
        git("add", ".");
        git("-c", "user.name=bench", "-c", "user.email=bench@example.org", "commit", "-q", "-m", "first");
        String commit = git("rev-parse", "--short", "HEAD").strip();

        Files.writeString(results.resolve("x.md"), "# x\n\n## Last run\n");
        assertThat(ResultsFile.codeVersion(results)).isEqualTo(commit);

        Files.writeString(dir.resolve("Code.java"), "class Code { int changed; }\n");
        assertThat(ResultsFile.codeVersion(results)).isEqualTo(commit + " + local changes");
    }

    private String git(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("git", "-C", dir.toString()));
        command.addAll(List.of(args));
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            Assumptions.abort("no git on this machine: " + e.getMessage());
            throw e;
        }
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor()).as(out).isZero();
        return out;
    }
}
