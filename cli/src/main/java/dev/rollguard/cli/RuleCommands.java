package dev.rollguard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code bin/rollguard rules ...}: a flag's targeting rules and variant weights, and who they serve what. */
@Command(
        name = "rules",
        description = {
            "See and set a flag's targeting rules and variant weights, and preview what a sample context is served.",
            "",
            "A rules file is JSON: a list of rules, or {\"rules\": [...], \"variantWeights\": [...]} (docs/contracts.md)."
        },
        subcommands = {RuleCommands.Get.class, RuleCommands.Set.class, RuleCommands.Preview.class})
final class RuleCommands implements Runnable {

    @ParentCommand
    RollguardCli root;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "rules needs a command: get, set or preview");
    }

    /** {@code rules} and {@code variantWeights} of a rules file (a bare list is the rules); "-" reads stdin. */
    static ObjectNode readFile(String file) {
        JsonNode document;
        try (InputStream in = file.equals("-") ? System.in : Files.newInputStream(Path.of(file))) {
            document = RollguardApi.JSON.readTree(in);
        } catch (IOException e) {
            throw new RollguardCli.UsageException("cannot read rules file " + file + ": " + e.getMessage());
        }
        ObjectNode draft = RollguardApi.JSON.createObjectNode();
        if (document != null && document.isArray()) {
            draft.set("rules", document);
        } else if (document != null
                && document.isObject()
                && (document.has("rules") || document.has("variantWeights"))) {
            if (document.has("rules")) {
                draft.set("rules", document.get("rules"));
            }
            if (document.has("variantWeights")) {
                draft.set("variantWeights", document.get("variantWeights"));
            }
        } else {
            throw new RollguardCli.UsageException(
                    "a rules file holds a JSON list of rules or {\"rules\": [...], \"variantWeights\": [...]}: "
                            + file);
        }
        return draft;
    }

    /** What a rule serves: a variant, or a share of the treatment. */
    static String serves(JsonNode rule) {
        return rule.hasNonNull("variant")
                ? rule.path("variant").asText()
                : RollguardCli.percent(rule.path("rolloutPercentage")) + " treated";
    }

    static String weights(JsonNode flag) {
        StringBuilder text = new StringBuilder();
        for (JsonNode w : flag.path("variantWeights")) {
            text.append(text.isEmpty() ? "" : ", ")
                    .append(w.path("variant").asText())
                    .append(' ')
                    .append(RollguardCli.percent(w.path("weight")));
        }
        return text.isEmpty() ? "-" : text.toString();
    }

    abstract static class Sub implements Callable<Integer> {
        @ParentCommand
        RuleCommands group;

        @Parameters(index = "0", paramLabel = "KEY", description = "The flag.")
        String key;

        RollguardCli root() {
            return group.root;
        }

        void print(JsonNode flag) {
            if (root().json()) {
                ObjectNode shown = RollguardApi.JSON.createObjectNode();
                shown.set("rules", flag.path("rules"));
                shown.set("variantWeights", flag.path("variantWeights"));
                root().printJson(shown);
                return;
            }
            Table table = new Table("#", "RULE", "SEGMENTS", "CONSTRAINTS", "SERVES");
            int i = 1;
            for (JsonNode rule : flag.path("rules")) {
                table.row(
                        Integer.toString(i++),
                        RollguardCli.text(rule, "id"),
                        String.join(", ", SegmentCommands.strings(rule.path("segments"))),
                        SegmentCommands.describeAll(rule.path("constraints")),
                        serves(rule));
            }
            table.print(root().out);
            root().out
                    .printf(
                            "otherwise: rollout %s of %s; weights: %s%n",
                            RollguardCli.percent(flag.path("rolloutPercentage")),
                            flag.path("treatmentVariant").asText(),
                            weights(flag));
        }
    }

    @Command(name = "get", description = "The flag's rules in evaluation order, and its variant weights.")
    static final class Get extends Sub {
        @Override
        public Integer call() {
            print(RollguardCli.check(root().api.flag(key), "reading flag " + key)
                    .body());
            return 0;
        }
    }

    @Command(
            name = "set",
            description = "Replace the flag's rules (and variant weights, when the file has them); refused with each"
                    + " problem named when they cannot be saved.")
    static final class Set extends Sub {
        @Option(names = "--file", required = true, description = "The rules file, or - for standard input.")
        String file;

        @Override
        public Integer call() {
            ObjectNode changes = readFile(file);
            RollguardApi.Answer current = RollguardCli.check(root().api.flag(key), "reading flag " + key);
            String etag = current.header("ETag") != null
                    ? current.header("ETag")
                    : "\"" + current.body().path("version").asText() + "\"";
            JsonNode flag = RollguardCli.check(root().api.updateFlag(key, changes, etag), "setting the rules of " + key)
                    .body();
            print(flag);
            if (!root().json()) {
                root().out.printf("%s: version %s%n", key, flag.path("version").asText());
            }
            return 0;
        }
    }

    @Command(
            name = "preview",
            description = "What a sample context is served (variant, value, reason, matching rule), by the stored"
                    + " rules or by those of --file; nothing is saved.")
    static final class Preview extends Sub {
        @Parameters(
                index = "1..*",
                arity = "0..*",
                paramLabel = "ATTRIBUTE=VALUE",
                description = "Context attributes, e.g. targetingKey=u-1 platform=IOS; ATTRIBUTE:=JSON for a number or"
                        + " boolean (build:=42).")
        List<String> attributes;

        @Option(names = "--file", description = "Draft rules to preview instead of the stored ones (- for stdin).")
        String file;

        @Override
        public Integer call() {
            ObjectNode body = file == null ? RollguardApi.JSON.createObjectNode() : readFile(file);
            ObjectNode context = body.putObject("context");
            for (String attribute : attributes == null ? List.<String>of() : attributes) {
                int json = attribute.indexOf(":=");
                int text = attribute.indexOf('=');
                if (json > 0 && json < text) {
                    try {
                        context.set(
                                attribute.substring(0, json),
                                RollguardApi.JSON.readTree(attribute.substring(json + 2)));
                    } catch (IOException e) {
                        throw new RollguardCli.UsageException("not JSON after := in " + attribute);
                    }
                } else if (text > 0) {
                    context.put(attribute.substring(0, text), attribute.substring(text + 1));
                } else {
                    throw new RollguardCli.UsageException(
                            "a context attribute is ATTRIBUTE=VALUE or ATTRIBUTE:=JSON; got " + attribute);
                }
            }
            JsonNode answer = RollguardCli.check(root().api.preview(key, body), "previewing " + key)
                    .body();
            if (root().json()) {
                root().printJson(answer);
            } else {
                root().out
                        .printf(
                                "%s: %s (%s), reason %s%s, %s%n",
                                key,
                                answer.path("variant").asText(),
                                answer.path("value"),
                                answer.path("reason").asText(),
                                answer.hasNonNull("ruleId")
                                        ? ", rule " + answer.path("ruleId").asText()
                                        : "",
                                answer.path("treated").asBoolean() ? "treated" : "control");
            }
            return 0;
        }
    }
}
