package dev.rollguard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code bin/rollguard segment ...}: named constraint sets that flag rules reference (flag-service /api/segments). */
@Command(
        name = "segment",
        description = {
            "List, show, save and delete segments: named constraint sets that flag rules reference.",
            "",
            "Saving a segment republishes every flag that uses it; a segment in use cannot be deleted."
        },
        subcommands = {
            SegmentCommands.ListSegments.class,
            SegmentCommands.Get.class,
            SegmentCommands.Put.class,
            SegmentCommands.Delete.class
        })
final class SegmentCommands implements Runnable {

    /** Operators whose values are a list (split on commas on the command line); the others take one value. */
    private static final Set<String> LISTS = Set.of("IN", "NOT_IN", "STR_STARTS_WITH", "STR_ENDS_WITH", "STR_CONTAINS");

    @ParentCommand
    RollguardCli root;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(
                spec.commandLine(), "segment needs a command: list, get, put or delete");
    }

    /**
     * A constraint as written on the command line, {@code ATTRIBUTE [not] OPERATOR VALUES}: {@code platform in
     * IOS,ANDROID}, {@code appVersion semver_gte 4.2.0}, {@code country not in US,CA}, {@code email str_ends_with/i
     * @example.com}. {@code /i} compares ignoring case; list operators split their values on commas.
     */
    static ObjectNode constraint(String text) {
        String[] words = text.strip().split("\\s+", 3);
        boolean negate = words.length == 3 && words[1].equalsIgnoreCase("not");
        if (negate) {
            words = (words[0] + " " + words[2]).split("\\s+", 3);
        }
        if (words.length != 3) {
            throw new RollguardCli.UsageException(
                    "a constraint is 'ATTRIBUTE [not] OPERATOR VALUES', e.g. 'platform in IOS,ANDROID'; got " + text);
        }
        String operator = words[1].toUpperCase(Locale.ROOT);
        boolean caseInsensitive = operator.endsWith("/I");
        if (caseInsensitive) {
            operator = operator.substring(0, operator.length() - 2);
        }
        ObjectNode constraint =
                RollguardApi.JSON.createObjectNode().put("attribute", words[0]).put("operator", operator);
        ArrayNode values = constraint.putArray("values");
        if (LISTS.contains(operator)) {
            for (String value : words[2].split(",")) {
                values.add(value.strip());
            }
        } else {
            values.add(words[2]);
        }
        return constraint.put("negate", negate).put("caseInsensitive", caseInsensitive);
    }

    /** A constraint as the CLI writes it: {@code platform IN IOS,ANDROID}. */
    static String describe(JsonNode c) {
        return c.path("attribute").asText()
                + (c.path("negate").asBoolean() ? " not " : " ")
                + c.path("operator").asText()
                + (c.path("caseInsensitive").asBoolean() ? "/i " : " ")
                + String.join(",", strings(c.path("values")));
    }

    static String describeAll(JsonNode constraints) {
        StringBuilder text = new StringBuilder();
        for (JsonNode c : constraints) {
            text.append(text.isEmpty() ? "" : " and ").append(describe(c));
        }
        return text.toString();
    }

    static String usedBy(JsonNode segment) {
        List<String> flags = strings(segment.path("usedBy"));
        return flags.isEmpty() ? "-" : String.join(", ", flags);
    }

    static List<String> strings(JsonNode array) {
        List<String> result = new ArrayList<>();
        array.forEach(value -> result.add(value.asText()));
        return result;
    }

    abstract static class Sub implements Callable<Integer> {
        @ParentCommand
        SegmentCommands group;

        RollguardCli root() {
            return group.root;
        }
    }

    @Command(name = "list", description = "Every segment: its constraints and the flags that use it.")
    static final class ListSegments extends Sub {
        @Override
        public Integer call() {
            JsonNode segments = RollguardCli.check(root().api.segments(), "listing segments")
                    .body();
            if (root().json()) {
                root().printJson(segments);
                return 0;
            }
            Table table = new Table("KEY", "CONSTRAINTS", "USED BY", "VERSION", "DESCRIPTION");
            for (JsonNode s : segments) {
                table.row(
                        RollguardCli.text(s, "key"),
                        describeAll(s.path("constraints")),
                        usedBy(s),
                        RollguardCli.text(s, "version"),
                        RollguardCli.text(s, "description"));
            }
            table.print(root().out);
            return 0;
        }
    }

    @Command(name = "get", description = "Show one segment.")
    static final class Get extends Sub {
        @Parameters(index = "0", paramLabel = "KEY")
        String key;

        @Override
        public Integer call() {
            JsonNode s = RollguardCli.check(root().api.segment(key), "reading segment " + key)
                    .body();
            if (root().json()) {
                root().printJson(s);
                return 0;
            }
            var out = root().out;
            out.printf("Key:          %s%n", s.path("key").asText());
            out.printf("Description:  %s%n", s.path("description").asText(""));
            for (JsonNode c : s.path("constraints")) {
                out.printf("Constraint:   %s%n", describe(c));
            }
            out.printf("Used by:      %s%n", usedBy(s));
            out.printf(
                    "Version:      %s (updated %s by %s)%n",
                    s.path("version").asText(),
                    s.path("updatedAt").asText("-"),
                    s.path("updatedBy").asText("-"));
            return 0;
        }
    }

    @Command(
            name = "put",
            description = "Create a segment, or replace its constraints and description (every flag using it is"
                    + " republished).")
    static final class Put extends Sub {
        @Parameters(index = "0", paramLabel = "KEY")
        String key;

        @Option(
                names = "--constraint",
                required = true,
                paramLabel = "'ATTRIBUTE [not] OPERATOR VALUES'",
                description = "Repeatable; every one must match. Operators: in, not_in, str_starts_with,"
                        + " str_ends_with, str_contains, matches, num_eq|lt|lte|gt|gte, semver_eq|lt|lte|gt|gte,"
                        + " date_before, date_after; add /i to ignore case. E.g. 'platform in IOS,ANDROID',"
                        + " 'appVersion semver_gte 4.2.0'.")
        List<String> constraints;

        @Option(names = "--description", description = "What the segment is.")
        String description;

        @Override
        public Integer call() {
            ObjectNode body = RollguardApi.JSON.createObjectNode().put("key", key);
            if (description != null) {
                body.put("description", description);
            }
            ArrayNode list = body.putArray("constraints");
            constraints.forEach(c -> list.add(constraint(c)));
            RollguardApi.Answer answer = root().api.updateSegment(key, body);
            boolean created = false;
            if (answer.status() == 404) {
                answer = root().api.createSegment(body);
                created = true;
            }
            JsonNode s = RollguardCli.check(answer, "saving segment " + key).body();
            if (root().json()) {
                root().printJson(s);
            } else {
                root().out
                        .printf(
                                "segment %s %s (version %s); used by %s%n",
                                key,
                                created ? "created" : "saved",
                                s.path("version").asText(),
                                usedBy(s));
            }
            return 0;
        }
    }

    @Command(name = "delete", description = "Delete a segment no flag uses (refused, naming them, otherwise).")
    static final class Delete extends Sub {
        @Parameters(index = "0", paramLabel = "KEY")
        String key;

        @Option(names = "--reason", description = "Why; recorded in the audit log.")
        String reason;

        @Override
        public Integer call() {
            RollguardCli.check(root().api.deleteSegment(key, reason), "deleting segment " + key);
            if (root().json()) {
                root().printJson(RollguardApi.JSON
                        .createObjectNode()
                        .put("key", key)
                        .put("deleted", true));
            } else {
                root().out.printf("segment %s deleted%n", key);
            }
            return 0;
        }
    }
}
