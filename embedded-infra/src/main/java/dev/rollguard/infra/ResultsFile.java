package dev.rollguard.infra;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A benchmark's results file ({@code bench/results/<service>.md}), the one place its figures are kept, read as the
 * text before the first level-two heading and one section per {@code ## } heading (its {@code ### } subsections
 * included). A run changes only the sections it names: {@link #replace} puts a section in place of the first one of
 * the same heading, or at the end if there is none, and {@link #addRow} adds a row to the table of a history section.
 * Every other section, the opening text and the headings (so the anchors READMEs link to) are written back byte for
 * byte, whoever wrote them. A missing file is created with the given opening.
 */
public final class ResultsFile {

    private final Path file;
    private final String opening;
    private final List<Section> sections;

    /** A section as read ({@code written} false, its text kept byte for byte) or as this run writes it. */
    private record Section(String heading, String text, boolean written) {}

    private ResultsFile(Path file, String opening, List<Section> sections) {
        this.file = file;
        this.opening = opening;
        this.sections = sections;
    }

    /**
     * Reads {@code file}, or starts one with {@code openingIfNew} (its title and the paragraphs before the first
     * section) when there is none. The opening of an existing file is kept as it is.
     */
    public static ResultsFile read(Path file, String openingIfNew) throws IOException {
        if (!Files.exists(file)) {
            return new ResultsFile(file, openingIfNew.strip() + "\n", new ArrayList<>());
        }
        return parse(file, Files.readString(file));
    }

    static ResultsFile parse(Path file, String text) {
        List<Section> sections = new ArrayList<>();
        String opening = null;
        String heading = null;
        int start = 0;
        boolean fenced = false;
        int at = 0;
        while (at < text.length()) {
            int end = text.indexOf('\n', at);
            end = end < 0 ? text.length() : end + 1;
            String line = text.substring(at, end);
            String trimmed = line.stripLeading();
            if (trimmed.startsWith("```") || trimmed.startsWith("~~~")) {
                fenced = !fenced;
            } else if (!fenced && line.startsWith("## ")) {
                if (heading == null) {
                    opening = text.substring(0, at);
                } else {
                    sections.add(new Section(heading, text.substring(start, at), false));
                }
                heading = line.substring(3).strip();
                start = at;
            }
            at = end;
        }
        if (heading == null) {
            opening = text;
        } else {
            sections.add(new Section(heading, text.substring(start), false));
        }
        return new ResultsFile(file, opening, sections);
    }

    /** The text under the first section of this heading (without the heading line), if the file has one. */
    public Optional<String> body(String heading) {
        int index = indexOf(heading);
        if (index < 0) {
            return Optional.empty();
        }
        String text = sections.get(index).text();
        int newline = text.indexOf('\n');
        return Optional.of(newline < 0 ? "" : text.substring(newline + 1));
    }

    /**
     * Puts a section of this heading and body in place of the first section of the same heading, or after the last
     * section if there is none.
     */
    public ResultsFile replace(String heading, String body) {
        Section section = new Section(heading.strip(), "## " + heading.strip() + "\n\n" + body.strip() + "\n", true);
        int index = indexOf(heading);
        if (index < 0) {
            sections.add(section);
        } else {
            sections.set(index, section);
        }
        return this;
    }

    /**
     * Adds {@code row} (one Markdown table row) after the last table row of the section of this heading, keeping
     * the rows already there and any text after the table; a file without the section gets one, made of {@code
     * introAndHeader} (its paragraphs and the table's header and delimiter rows) and the row.
     */
    public ResultsFile addRow(String heading, String introAndHeader, String row) {
        Optional<String> body = body(heading);
        if (body.isEmpty()) {
            return replace(heading, introAndHeader.strip() + "\n" + row.strip());
        }
        String text = body.get();
        int insertAt = -1;
        int at = 0;
        while (at < text.length()) {
            int end = text.indexOf('\n', at);
            end = end < 0 ? text.length() : end + 1;
            if (text.startsWith("|", at)) {
                insertAt = end;
            }
            at = end;
        }
        String updated;
        if (insertAt < 0) {
            updated = (text.isBlank() ? "\n" : text.stripTrailing() + "\n\n") + row.strip() + "\n";
        } else {
            String before = text.substring(0, insertAt);
            updated = (before.endsWith("\n") ? before : before + "\n") + row.strip() + "\n" + text.substring(insertAt);
        }
        int index = indexOf(heading);
        String read = sections.get(index).text();
        String headingLine = read.contains("\n") ? read.substring(0, read.indexOf('\n') + 1) : read + "\n";
        sections.set(index, new Section(sections.get(index).heading(), headingLine + updated, true));
        return this;
    }

    /** The whole file as it will be written. */
    public String text() {
        StringBuilder md = new StringBuilder(opening);
        for (int i = 0; i < sections.size(); i++) {
            // Between two sections as read the text stays as it was; around one written now, a blank line.
            if (sections.get(i).written() || (i > 0 && sections.get(i - 1).written())) {
                separate(md);
            }
            md.append(sections.get(i).text());
        }
        return md.toString();
    }

    /** Writes the file through a temporary file beside it, so a run that fails half-way leaves the old one whole. */
    public void write() throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Path temp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(temp, text());
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * The commit the benchmark was built from, as {@code git rev-parse --short HEAD} in {@code dir} (any directory of
     * the work tree) gives it, with "+ local changes" when tracked files outside {@code bench/results} differ from it;
     * "unknown" without git or outside a repository.
     */
    public static String codeVersion(Path dir) {
        try {
            String commit = git(dir, "rev-parse", "--short", "HEAD").strip();
            String changes = git(
                    dir,
                    "status",
                    "--porcelain",
                    "--untracked-files=no",
                    "--",
                    ":(top)",
                    ":(top,exclude)bench/results");
            return commit.isEmpty() ? "unknown" : commit + (changes.isBlank() ? "" : " + local changes");
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static String git(Path dir, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("git", "-C", dir.toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        try {
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(10, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IOException("git " + String.join(" ", args) + " failed");
            }
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    private int indexOf(String heading) {
        for (int i = 0; i < sections.size(); i++) {
            if (sections.get(i).heading().equals(heading.strip())) {
                return i;
            }
        }
        return -1;
    }

    /** A blank line before the next section, added only where the text does not end in one. */
    private static void separate(StringBuilder md) {
        if (md.isEmpty()) {
            return;
        }
        if (md.charAt(md.length() - 1) != '\n') {
            md.append("\n\n");
        } else if (md.length() < 2 || md.charAt(md.length() - 2) != '\n') {
            md.append('\n');
        }
    }
}
