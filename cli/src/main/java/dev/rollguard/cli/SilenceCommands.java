package dev.rollguard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code bin/rollguard silence ...}: silences of notifications, like {@code amtool silence}. */
@Command(
        name = "silence",
        description = {
            "Silence notifications of matching alerts for a while (maintenance), list silences, end one.",
            "",
            "Only notifications are silenced: the guard still acts on a silenced alert."
        },
        subcommands = {SilenceCommands.Add.class, SilenceCommands.ListSilences.class, SilenceCommands.Expire.class})
final class SilenceCommands implements Runnable {

    private static final Pattern MATCHER = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)(=~|!~|!=|=)(.*)");
    private static final Pattern DURATION = Pattern.compile("(?:(\\d+)d)?(?:(\\d+)h)?(?:(\\d+)m)?(?:(\\d+)s)?");

    @ParentCommand
    RollguardCli root;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "silence needs a command: add, list or expire");
    }

    /** {@code name=value}, {@code name!=value}, {@code name=~regex}, {@code name!~regex} as the API's matcher. */
    static ObjectNode matcher(String text) {
        Matcher m = MATCHER.matcher(text);
        if (!m.matches()) {
            throw new RollguardCli.UsageException(
                    "a matcher is name=value, name!=value, name=~regex or name!~regex; got " + text);
        }
        String value = m.group(3);
        if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
            value = value.substring(1, value.length() - 1);
        }
        String op = m.group(2);
        return RollguardApi.JSON
                .createObjectNode()
                .put("name", m.group(1))
                .put("value", value)
                .put("isRegex", op.endsWith("~"))
                .put("isEqual", !op.startsWith("!"));
    }

    /** {@code 2h}, {@code 30m}, {@code 1d12h}, {@code 90s}. */
    static Duration duration(String text) {
        Matcher m = DURATION.matcher(text);
        if (text.isEmpty() || !m.matches()) {
            throw new RollguardCli.UsageException("a duration is like 2h, 30m, 1d12h or 90s; got " + text);
        }
        Duration total = Duration.ZERO;
        long[] seconds = {86_400, 3_600, 60, 1};
        for (int i = 0; i < 4; i++) {
            if (m.group(i + 1) != null) {
                total = total.plusSeconds(Long.parseLong(m.group(i + 1)) * seconds[i]);
            }
        }
        if (total.isZero()) {
            throw new RollguardCli.UsageException("a silence lasts longer than 0s");
        }
        return total;
    }

    static String describe(JsonNode matchers) {
        StringBuilder text = new StringBuilder();
        for (JsonNode m : matchers) {
            if (!text.isEmpty()) {
                text.append(' ');
            }
            boolean equal = m.path("isEqual").asBoolean(true);
            boolean regex = m.path("isRegex").asBoolean(false);
            text.append(m.path("name").asText())
                    .append(equal ? (regex ? "=~" : "=") : (regex ? "!~" : "!="))
                    .append('"')
                    .append(m.path("value").asText())
                    .append('"');
        }
        return text.toString();
    }

    @Command(
            name = "add",
            description = "Silence the notifications of alerts matching every --match, from now for --for (or until"
                    + " --until).")
    static final class Add implements Callable<Integer> {
        @ParentCommand
        SilenceCommands group;

        @Parameters(
                arity = "1..*",
                paramLabel = "MATCHER",
                description =
                        "name=value, name!=value, name=~regex or name!~regex, e.g. table=orders flag=~'checkout-.*'")
        List<String> matchers;

        @Option(names = "--for", description = "How long, e.g. 2h, 30m, 1d (default: 1h).")
        String lasting;

        @Option(names = "--until", description = "When it ends, an ISO instant (instead of --for).")
        String until;

        @Option(names = "--author", defaultValue = "${env:USER}", description = "Who silences (default: $USER).")
        String author;

        @Option(names = "--comment", required = true, description = "Why (a ticket, the maintenance).")
        String comment;

        @Override
        public Integer call() {
            RollguardCli root = group.root;
            if (lasting != null && until != null) {
                throw new RollguardCli.UsageException("give --for or --until, not both");
            }
            if (author == null || author.isBlank()) {
                throw new RollguardCli.UsageException("--author is needed (no $USER to take it from)");
            }
            Instant ends;
            if (until != null) {
                try {
                    ends = Instant.parse(until);
                } catch (DateTimeParseException e) {
                    throw new RollguardCli.UsageException("--until takes an ISO instant, e.g. 2026-03-02T18:00:00Z");
                }
            } else {
                ends = root.screen.clock().instant().plus(duration(lasting == null ? "1h" : lasting));
            }
            ObjectNode body = RollguardApi.JSON.createObjectNode();
            ArrayNode list = body.putArray("matchers");
            matchers.forEach(m -> list.add(matcher(m)));
            body.put("endsAt", ends.toString()).put("createdBy", author).put("comment", comment);
            JsonNode silence = RollguardCli.check(root.api.createSilence(body), "silencing")
                    .body();
            if (root.json()) {
                root.printJson(silence);
            } else {
                root.out.printf(
                        "silence %s: %s until %s (%s)%n",
                        silence.path("id").asText(),
                        describe(silence.path("matchers")),
                        silence.path("endsAt").asText(),
                        silence.path("state").asText().toLowerCase(Locale.ROOT));
            }
            return 0;
        }
    }

    @Command(name = "list", description = "Every silence, newest first: pending, active and ended.")
    static final class ListSilences implements Callable<Integer> {
        @ParentCommand
        SilenceCommands group;

        @Option(names = "--active", description = "Only those in force now (and pending ones).")
        boolean active;

        @Override
        public Integer call() {
            RollguardCli root = group.root;
            JsonNode silences =
                    RollguardCli.check(root.api.silences(), "listing silences").body();
            ArrayNode shown = RollguardApi.JSON.createArrayNode();
            for (JsonNode s : silences) {
                if (!active || !"EXPIRED".equals(s.path("state").asText())) {
                    shown.add(s);
                }
            }
            if (root.json()) {
                root.printJson(shown);
                return 0;
            }
            Table table = new Table("ID", "STATE", "MATCHERS", "ENDS", "BY", "COMMENT");
            for (JsonNode s : shown) {
                table.row(
                        RollguardCli.text(s, "id"),
                        RollguardCli.text(s, "state"),
                        describe(s.path("matchers")),
                        RollguardCli.text(s, "endsAt"),
                        RollguardCli.text(s, "createdBy"),
                        RollguardCli.text(s, "comment"));
            }
            table.print(root.out);
            return 0;
        }
    }

    @Command(name = "expire", description = "End a silence now (it stays listed, as ended).")
    static final class Expire implements Callable<Integer> {
        @ParentCommand
        SilenceCommands group;

        @Parameters(index = "0", paramLabel = "ID")
        String id;

        @Option(
                names = "--actor",
                defaultValue = "${env:USER}",
                description = "Who ends it, kept with the silence (default: $USER; the token's name when empty).")
        String actor;

        @Override
        public Integer call() {
            RollguardCli root = group.root;
            RollguardCli.check(root.api.expireSilence(id, actor), "ending silence " + id);
            if (root.json()) {
                root.printJson(
                        RollguardApi.JSON.createObjectNode().put("id", id).put("state", "EXPIRED"));
            } else {
                root.out.printf("silence %s ended%n", id);
            }
            return 0;
        }
    }
}
