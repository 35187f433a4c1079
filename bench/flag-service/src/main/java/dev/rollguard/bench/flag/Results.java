package dev.rollguard.bench.flag;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * bench/results/flag-service.md as sections under {@code ## } headings: a phase replaces its own section, so a phase
 * rerun alone keeps the figures of the others (each section carries its own date and load average).
 */
final class Results {

    static final String COMMAND = "./mvnw -B -ntp -o -q -f bench/flag-service/pom.xml compile exec:exec";

    private final Path file;
    private final Map<String, String> sections = new LinkedHashMap<>();

    private Results(Path file) {
        this.file = file;
    }

    static Results read(Path file) throws IOException {
        Results results = new Results(file);
        if (Files.exists(file)) {
            String heading = null;
            StringBuilder body = new StringBuilder();
            for (String line : Files.readAllLines(file)) {
                if (line.startsWith("## ")) {
                    if (heading != null) {
                        results.sections.put(heading, body.toString().strip() + "\n");
                    }
                    heading = line.substring(3).strip();
                    body.setLength(0);
                } else if (heading != null) {
                    body.append(line).append('\n');
                }
            }
            if (heading != null) {
                results.sections.put(heading, body.toString().strip() + "\n");
            }
        }
        return results;
    }

    void put(String heading, String body) {
        sections.put(heading, body.strip() + "\n");
    }

    void write() throws IOException {
        StringBuilder md = new StringBuilder("# flag-service benchmark\n\n")
                .append("Written by `bench/flag-service` (see flag-service/README.md), one section per phase; a")
                .append(" phase rerun alone replaces its own section. Each section says when it was measured and the")
                .append(" load average (`/proc/loadavg`) before and after it. Command, from the repository root,")
                .append(" after building the service (flag-service/README.md); every phase with the defaults")
                .append(" (`-Dbench.phases=jmh,single,targeted,bulk,unleash,sse -Dbench.seconds=20")
                .append(" -Dbench.connections=32 -Dbench.sse-changes=200`):\n\n```\n")
                .append(COMMAND)
                .append("\n```\n\nEach section names the command that reruns it alone.\n");
        sections.forEach((heading, body) ->
                md.append("\n## ").append(heading).append("\n\n").append(body));
        Files.createDirectories(file.getParent());
        Files.writeString(file, md.toString());
    }
}
