package dev.rollguard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * A flag's rollout as {@code bin/rollguard rollout get} prints it, in the manner of {@code kubectl argo rollouts get
 * rollout}: the state, the current stage with its time against the soak, the minimums against the clients seen, the
 * promoter's view (the guard's verdict, what it waits for, when it expects the next promotion), then every stage. The
 * flag-service's timeline is the plan; the rollback-service's promoter adds its view when it can be reached.
 */
final class RolloutTimeline {

    /** Home and clear screen: a watch on a terminal redraws from the top, like {@code watch(1)}. */
    static final String CLEAR_SCREEN = "\033[H\033[2J";

    private RolloutTimeline() {}

    /**
     * The promoter's view of one flag ({@code GET /api/promotions?flag=KEY} on the rollback-service): the view, or
     * nothing when the promoter does not watch the flag, or why it could not be read.
     */
    record Promotion(JsonNode view, String unavailable) {

        static Promotion of(RollguardApi api, String key) {
            RollguardApi.Answer answer;
            try {
                answer = api.promotions(key);
            } catch (UncheckedIOException e) {
                return new Promotion(null, e.getMessage());
            }
            if (!answer.ok()) {
                String code = answer.body().path("code").asText("");
                return new Promotion(
                        null,
                        "the rollback-service answered HTTP " + answer.status() + (code.isEmpty() ? "" : " " + code));
            }
            if (!answer.body().isArray()) {
                return new Promotion(null, "the rollback-service answered something other than a list");
            }
            for (JsonNode view : answer.body()) {
                if (key.equals(view.path("flagKey").asText())) {
                    return new Promotion(view, null);
                }
            }
            return new Promotion(null, null);
        }
    }

    /** The JSON document of one refresh: the flag-service's timeline with the promoter's view under "promotion". */
    static JsonNode document(JsonNode rollout, Promotion promotion) {
        ObjectNode document =
                rollout.isObject() ? ((ObjectNode) rollout).deepCopy() : RollguardApi.JSON.createObjectNode();
        document.set("promotion", promotion.view() == null ? NullNode.getInstance() : promotion.view());
        if (promotion.unavailable() != null) {
            document.put("promotionUnavailable", promotion.unavailable());
        }
        return document;
    }

    /** The timeline as lines of text, with relative times counted from {@code now}. */
    static String render(JsonNode r, Promotion promotion, Instant now) {
        var buffer = new ByteArrayOutputStream();
        print(r, promotion, now, new PrintStream(buffer, true, StandardCharsets.UTF_8));
        return buffer.toString(StandardCharsets.UTF_8);
    }

    private static void print(JsonNode r, Promotion promotion, Instant now, PrintStream out) {
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
            JsonNode tolerance = stage.path("tolerancePercent");
            out.printf(
                    "Stage:         %d/%d %s (promotion %s%s)%n",
                    current.asInt() + 1,
                    stages.size(),
                    stage.path("name").asText(),
                    stage.path("promotion").asText(),
                    tolerance.isNumber()
                            ? "; promotes once every guarded metric is shown within +" + tolerance.asInt() + " %"
                            : "");
            long soak = stage.path("minSoakSeconds").asLong();
            long left = r.path("soakRemainingSeconds").asLong();
            out.printf(
                    "In stage:      %s since %s; soak %s, %s%n",
                    duration(r.path("secondsInStage").asLong()),
                    r.path("stageEnteredAt").asText(),
                    duration(soak),
                    left > 0 ? duration(left) + " left" : "done");
            out.printf(
                    "Minimums:      %s clients per cohort%s%n",
                    stage.path("minClientsPerCohort").asText(), clientsSeen(promotion.view()));
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
        printPromoter(r, promotion, now, out);
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

    private static void printPromoter(JsonNode r, Promotion promotion, Instant now, PrintStream out) {
        JsonNode p = promotion.view();
        if (p == null) {
            out.printf(
                    "Promoter:      %s%n",
                    promotion.unavailable() == null
                            ? "not watching this flag"
                            : "view unavailable (" + promotion.unavailable()
                                    + "); the plan above is the flag-service's");
            return;
        }
        String key = r.path("key").asText();
        String decision = p.path("decision").asText();
        out.printf(
                "Promoter:      %s (promotion %s), assessed at %s%n",
                decisionText(decision, key),
                p.path("promotion").asText("-"),
                p.path("assessedAt").asText("-"));
        List<String> waiting = waitingFor(p, true);
        if (!waiting.isEmpty()) {
            out.printf("Waiting for:   %s%n", String.join(", ", waiting));
        }
        out.printf(
                "Verdict:       %s%n",
                p.hasNonNull("verdict")
                        ? p.path("verdict").asText() + confidence(p)
                        : "none yet (the guard has not judged this stage)");
        int total = r.path("stages").size();
        if (p.hasNonNull("nextStage")) {
            out.printf(
                    "Next:          %d/%d %s (%s), %s%n",
                    p.path("nextStage").asInt() + 1,
                    total,
                    p.path("nextStageName").asText(),
                    RollguardCli.percent(p.path("nextPercentage")),
                    expected(p, decision, now));
        } else {
            out.printf("Next:          - (the last stage)%n");
        }
        if (p.hasNonNull("deadline")) {
            out.printf(
                    "Deadline:      minimums due by %s%s%s%n",
                    p.path("deadline").asText(),
                    until(p.path("deadline").asText(), now),
                    p.path("extended").asBoolean() ? ", extended once" : "");
        }
        JsonNode reasons = p.path("reasons");
        for (int i = 0; i < reasons.size(); i++) {
            out.printf(
                    "%s%s%n",
                    i == 0 ? "Reasons:       " : "               ",
                    reasons.get(i).asText());
        }
    }

    private static String decisionText(String decision, String key) {
        return switch (decision) {
            case "PROMOTE" -> "PROMOTE: the evidence says healthy, promoting";
            case "WAIT" -> "WAIT";
            case "EXTEND" -> "EXTEND: the minimums were not met by the deadline, extended once";
            case "HOLD" -> "HOLD: the minimums were not met after the extension, the rollout is held";
            case "REVERT" -> "REVERT: the minimums were not met after the extension, back one stage";
            case "MANUAL" -> "MANUAL: a person promotes this stage (bin/rollguard rollout promote " + key + ")";
            case "STOPPED" -> "STOPPED: not promoting (paused, killed, aborted or completed)";
            default -> decision;
        };
    }

    private static List<String> waitingFor(JsonNode p, boolean withTimes) {
        List<String> waiting = new ArrayList<>();
        for (JsonNode reason : p.path("waitingFor")) {
            waiting.add(
                    switch (reason.asText()) {
                        case "SOAK" ->
                            withTimes && p.path("soakRemainingSeconds").isNumber()
                                    ? "soak time ("
                                            + duration(p.path("soakRemainingSeconds")
                                                    .asLong()) + " left)"
                                    : "soak time";
                        case "MIN_CLIENTS" -> "minimum clients";
                        case "VERDICT" -> "a no-regression verdict";
                        case "ALERTS" -> "no alert firing or pending";
                        case "REGRESSION" -> "the regression to clear";
                        default -> reason.asText();
                    });
        }
        return waiting;
    }

    private static String clientsSeen(JsonNode p) {
        if (p == null || !p.path("treatedClients").isNumber()) {
            return "";
        }
        long minimum = p.path("minClientsPerCohort").asLong();
        long treated = p.path("treatedClients").asLong();
        long control = p.path("controlClients").asLong();
        return "; seen: treated " + treated + (treated >= minimum ? " (met)" : " (not met)") + ", control " + control
                + (control >= minimum ? " (met)" : " (not met)");
    }

    private static String confidence(JsonNode p) {
        return p.path("confidence").isNumber()
                ? " (confidence " + RollguardCli.trim(100 * p.path("confidence").asDouble()) + " %)"
                : "";
    }

    private static String expected(JsonNode p, String decision, Instant now) {
        if (p.hasNonNull("expectedPromotionAt")) {
            String at = p.path("expectedPromotionAt").asText();
            return "next promotion expected at " + at + until(at, now);
        }
        return switch (decision) {
            case "MANUAL" -> "when a person promotes it";
            case "STOPPED", "HOLD" -> "no promotion expected";
            default -> "no promotion expected yet";
        };
    }

    private static String until(String iso, Instant now) {
        try {
            long seconds = Duration.between(now, Instant.parse(iso)).getSeconds();
            return seconds > 0 ? " (in " + duration(seconds) + ")" : " (due)";
        } catch (DateTimeParseException notAnInstant) {
            return "";
        }
    }

    /**
     * One line of what a watch outside a terminal prints when it changes: the state, stage, promoter's decision and
     * what it waits for, clients, verdict and the expected promotion; no clock-driven countdowns, so an unchanged
     * rollout prints nothing.
     */
    static String summary(JsonNode r, Promotion promotion) {
        List<String> parts = new ArrayList<>();
        parts.add(r.path("key").asText() + " " + r.path("phase").asText());
        JsonNode current = r.path("currentStage");
        if (current.isInt()) {
            parts.add("stage " + (current.asInt() + 1) + "/" + r.path("stages").size() + " "
                    + r.path("stages").path(current.asInt()).path("name").asText() + " ("
                    + RollguardCli.percent(r.path("rolloutPercentage")) + ")");
        } else {
            parts.add("rollout " + RollguardCli.percent(r.path("rolloutPercentage")));
        }
        JsonNode p = promotion.view();
        if (p == null) {
            parts.add(promotion.unavailable() == null ? "promoter not watching" : "promoter view unavailable");
            return String.join(" · ", parts);
        }
        List<String> waiting = waitingFor(p, false);
        parts.add(p.path("decision").asText() + (waiting.isEmpty() ? "" : " for " + String.join(", ", waiting)));
        parts.add("clients " + p.path("treatedClients").asLong() + "/"
                + p.path("controlClients").asLong() + " of "
                + p.path("minClientsPerCohort").asLong());
        parts.add("verdict " + (p.hasNonNull("verdict") ? p.path("verdict").asText() + confidence(p) : "none"));
        if (p.hasNonNull("expectedPromotionAt")) {
            parts.add("next promotion expected at "
                    + p.path("expectedPromotionAt").asText());
        }
        return String.join(" · ", parts);
    }

    /** An instant to the second, for the refresh lines of a watch. */
    static String seconds(Instant instant) {
        return instant.truncatedTo(ChronoUnit.SECONDS).toString();
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
