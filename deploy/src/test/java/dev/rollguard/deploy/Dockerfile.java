package dev.rollguard.deploy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** A Dockerfile read as its instructions: continuation lines joined, comments and blank lines dropped. */
record Dockerfile(Path file, List<Instruction> instructions) {

    /** One instruction: its keyword (upper case) and the rest of the line. */
    record Instruction(String keyword, String arguments) {}

    static Dockerfile read(Path file) {
        List<Instruction> instructions = new ArrayList<>();
        StringBuilder pending = new StringBuilder();
        for (String raw : Repo.lines(file)) {
            String line = raw.strip();
            if (pending.isEmpty() && (line.isEmpty() || line.startsWith("#"))) {
                continue;
            }
            if (line.endsWith("\\")) {
                pending.append(line, 0, line.length() - 1).append(' ');
                continue;
            }
            pending.append(line);
            String whole = pending.toString().strip();
            pending.setLength(0);
            int space = whole.indexOf(' ');
            instructions.add(new Instruction(
                    whole.substring(0, space < 0 ? whole.length() : space).toUpperCase(Locale.ROOT),
                    space < 0 ? "" : whole.substring(space + 1).strip()));
        }
        return new Dockerfile(file, instructions);
    }

    List<String> all(String keyword) {
        return instructions.stream()
                .filter(i -> i.keyword().equals(keyword))
                .map(Instruction::arguments)
                .toList();
    }

    /** The last instruction of a kind: the one that counts for USER, EXPOSE, HEALTHCHECK, ENTRYPOINT. */
    Optional<String> last(String keyword) {
        List<String> all = all(keyword);
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
    }

    /** The source paths of each COPY (without flags such as --chown; the last word is the destination). */
    List<String> copySources() {
        List<String> sources = new ArrayList<>();
        for (String copy : all("COPY")) {
            List<String> words = new ArrayList<>(List.of(copy.split("\\s+")));
            words.removeIf(w -> w.startsWith("--"));
            sources.addAll(words.subList(0, words.size() - 1));
        }
        return sources;
    }
}
