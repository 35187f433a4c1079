package dev.rollguard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;

/**
 * A flag's rollout as {@code bin/rollguard rollout get} prints it, in the manner of {@code kubectl argo rollouts get
 * rollout}: the state, the current stage with its time against the soak, the minimums, then every stage.
 */
final class RolloutTimeline {

    private RolloutTimeline() {}

    static void print(JsonNode r, PrintStream out) {
        JsonNode stages = r.path("stages");
        out.printf("Name:          %s%n", r.path("key").asText());
        out.printf("Status:        %s%n", status(r));
        if (r.path("killed").asBoolean()) {
            out.printf("               killed: %s%n", r.path("killReason").asText("-"));
        }
        if (r.path("aborted").asBoolean()) {
            int at = r.path("abortedAtStage").asInt();
            out.printf(
                    "               aborted at stage %d/%d %s: %s%n",
                    at + 1,
                    stages.size(),
                    stages.path(at).path("name").asText(),
                    r.path("abortReason").asText("-"));
        }
        if (r.path("paused").asBoolean()) {
            out.printf("               paused: %s%n", r.path("pauseReason").asText("no reason given"));
        }
        out.printf("Rollout:       %s%s%n", RollguardCli.percent(r.path("rolloutPercentage")), offNote(r));
        JsonNode current = r.path("currentStage");
        if (current.isInt()) {
            JsonNode stage = stages.path(current.asInt());
            out.printf(
                    "Stage:         %d/%d %s (promotion %s)%n",
                    current.asInt() + 1,
                    stages.size(),
                    stage.path("name").asText(),
                    stage.path("promotion").asText());
            long soak = stage.path("minSoakSeconds").asLong();
            long left = r.path("soakRemainingSeconds").asLong();
            out.printf(
                    "In stage:      %s since %s; soak %s, %s%n",
                    duration(r.path("secondsInStage").asLong()),
                    r.path("stageEnteredAt").asText(),
                    duration(soak),
                    left > 0 ? duration(left) + " left" : "done");
            out.printf(
                    "Minimums:      %s clients per cohort%n",
                    stage.path("minClientsPerCohort").asText());
        } else {
            out.printf("Stage:         -%n");
        }
        JsonNode missed = r.path("onMinimumsNotMet");
        if (!missed.isMissingNode() && !missed.isNull()) {
            out.printf(
                    "Not met in:    %s: extend %s once, then %s%n",
                    duration(missed.path("deadlineSeconds").asLong()),
                    duration(missed.path("extensionSeconds").asLong()),
                    missed.path("then").asText());
        }
        if (stages.isEmpty()) {
            out.println();
            out.println("No rollout plan: the share is set by hand.");
            return;
        }
        out.println();
        Table table = new Table("", "STAGE", "ROLLOUT", "SOAK", "MIN CLIENTS", "PROMOTION", "STATUS");
        for (JsonNode s : stages) {
            String status = s.path("status").asText();
            table.row(
                    marker(status) + " " + (s.path("index").asInt() + 1),
                    s.path("name").asText(),
                    RollguardCli.percent(s.path("percentage")),
                    duration(s.path("minSoakSeconds").asLong()),
                    s.path("minClientsPerCohort").asText(),
                    s.path("promotion").asText(),
                    label(status, r));
        }
        table.print(out);
    }

    private static String status(JsonNode r) {
        String retry =
                "after a fix: bin/rollguard rollout retry " + r.path("key").asText() + " --reason '...'";
        return switch (r.path("phase").asText()) {
            case "PROGRESSING" -> "Progressing";
            case "COMPLETED" -> "Completed (at the last stage)";
            case "NOT_STARTED" -> "Not started (promote to enter the first stage)";
            case "NO_PLAN" -> "No plan";
            case "PAUSED" ->
                "Paused (to go on: bin/rollguard rollout resume "
                        + r.path("key").asText() + " --reason '...')";
            case "KILLED" -> "KILLED (" + retry + ")";
            case "ABORTED" -> "ABORTED (" + retry + ")";
            case "ARCHIVED" -> "Archived";
            default -> r.path("phase").asText();
        };
    }

    private static String offNote(JsonNode r) {
        if (r.path("killed").asBoolean() || r.path("aborted").asBoolean()) {
            return " (serving the off value to everyone)";
        }
        return r.path("enabled").asBoolean() ? "" : " (flag disabled)";
    }

    private static String marker(String status) {
        return switch (status) {
            case "COMPLETED" -> "✔";
            case "CURRENT" -> "►";
            case "STOPPED" -> "✖";
            default -> " ";
        };
    }

    private static String label(String status, JsonNode r) {
        return switch (status) {
            case "COMPLETED" -> "done";
            case "CURRENT" -> r.path("paused").asBoolean() ? "current, paused" : "current";
            case "STOPPED" -> "aborted here";
            default -> "";
        };
    }

    /** 0s, 45s, 5m, 1h 30m, 2d 3h: the two largest units. */
    static String duration(long seconds) {
        if (seconds <= 0) {
            return "0s";
        }
        long[] sizes = {86_400, 3_600, 60, 1};
        String[] units = {"d", "h", "m", "s"};
        StringBuilder text = new StringBuilder();
        int shown = 0;
        long rest = seconds;
        for (int i = 0; i < sizes.length && shown < 2; i++) {
            long n = rest / sizes[i];
            rest %= sizes[i];
            if (n > 0) {
                text.append(text.isEmpty() ? "" : " ").append(n).append(units[i]);
                shown++;
            } else if (shown > 0) {
                break;
            }
        }
        return text.toString();
    }
}
