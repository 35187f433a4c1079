package dev.rollguard.console.view;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * The guard's verdict on one flag's current stage, as the alert-service's {@code GET /api/guard} answers it, shaped
 * for the pages. Verdicts stored before the alert-service's last restart come without metrics.
 */
public record GuardVerdict(
        String flagKey,
        Long stageVersion,
        String status,
        String severity,
        String summary,
        Instant judgedAt,
        List<Metric> metrics,
        List<Alert> alerts) {

    /** A rule level pending or firing on one of the flag's scopes when the verdict was read. */
    public record Alert(String ruleId, String ruleName, String scopeKey, String cohort, String severity, String phase) {

        static Alert of(JsonNode n) {
            return new Alert(
                    Json.text(n, "ruleId"),
                    Json.text(n, "ruleName"),
                    Json.text(n, "scopeKey"),
                    Json.text(n, "cohort"),
                    Json.text(n, "severity"),
                    Json.text(n, "phase"));
        }
    }

    /** Worst first on the overview: what needs an operator now, then what the guard cannot judge, then the rest. */
    public static final Comparator<GuardVerdict> WORST_FIRST = Comparator.comparingInt(GuardVerdict::rank)
            .thenComparing(
                    Comparator.comparingDouble(GuardVerdict::strongestEvidence).reversed())
            .thenComparing(GuardVerdict::flagKey);

    /** One metric's comparison of the treated cohort with its control. */
    public record Metric(
            String metric,
            String label,
            String status,
            String severity,
            String method,
            Double treated,
            Double control,
            Double relativeEffect,
            Double effectLower,
            Double effectUpper,
            Double confidence,
            long treatedClients,
            long controlClients,
            double treatedEvents,
            double controlEvents,
            double evidence,
            String summary) {

        static Metric of(JsonNode m) {
            return new Metric(
                    Json.text(m, "metric"),
                    Json.text(m, "label"),
                    Json.text(m, "status"),
                    Json.text(m, "severity"),
                    Json.text(m, "method"),
                    Json.dbl(m, "treated"),
                    Json.dbl(m, "control"),
                    Json.dbl(m, "relativeEffect"),
                    Json.dbl(m, "effectLower"),
                    Json.dbl(m, "effectUpper"),
                    Json.dbl(m, "confidence"),
                    m.path("treatedClients").asLong(),
                    m.path("controlClients").asLong(),
                    m.path("treatedEvents").asDouble(),
                    m.path("controlEvents").asDouble(),
                    m.path("evidence").asDouble(),
                    Json.text(m, "summary"));
        }

        public String name() {
            return label == null || label.isBlank() ? (metric == null ? "-" : metric) : label;
        }

        public boolean judged() {
            return !"NO_DATA".equals(status) && !"INSUFFICIENT_DATA".equals(status);
        }

        /** The relative effect, e.g. {@code +211 %}; a dash when the control is zero or the metric was not judged. */
        public String effectLabel() {
            return judged() && relativeEffect != null ? relative(relativeEffect) : "-";
        }

        /** The effect's interval, e.g. {@code 99.9 % interval [+150 %, +279 %]}; an open end is unbounded. */
        public String intervalLabel() {
            if (!judged() || relativeEffect == null) {
                return "";
            }
            String level = confidence == null ? "interval" : decimal(100 * confidence) + " % interval";
            return level + " ["
                    + (effectLower == null ? "-∞" : relative(effectLower))
                    + ", "
                    + (effectUpper == null ? "+∞" : relative(effectUpper))
                    + "]";
        }

        public String clientsLabel() {
            return count(treatedClients) + " vs " + count(controlClients);
        }

        public String eventsLabel() {
            return count(treatedEvents) + " vs " + count(controlEvents);
        }

        /** The evidence for a regression as a share of the threshold at which the guard calls one, e.g. {@code 0.42}. */
        public String evidenceLabel() {
            return decimal(evidence) + " of threshold";
        }

        /** Whether the evidence reached the threshold: the guard has made its call on this metric. */
        public boolean evidenceCalled() {
            return evidence >= 1;
        }
    }

    public static GuardVerdict of(JsonNode n) {
        List<Metric> metrics = new ArrayList<>();
        n.path("metrics").forEach(m -> metrics.add(Metric.of(m)));
        List<Alert> alerts = new ArrayList<>();
        n.path("alerts").forEach(a -> alerts.add(Alert.of(a)));
        return new GuardVerdict(
                n.path("flagKey").asText(),
                Json.lng(n, "stageVersion"),
                Json.text(n, "status"),
                Json.text(n, "severity"),
                Json.text(n, "summary"),
                Json.instant(n, "judgedAt"),
                metrics,
                alerts);
    }

    /** The status as a badge says it: {@code NO DATA}, {@code REGRESSION (CRITICAL)}, {@code UNKNOWN} when absent. */
    public String statusLabel() {
        String word = status == null || status.isBlank() ? "UNKNOWN" : status.replace('_', ' ');
        return regression() && severity != null && !"NONE".equals(severity) ? word + " (" + severity + ")" : word;
    }

    /** The badge's style: one per status, a regression by its severity. */
    public String badge() {
        if (regression()) {
            return "WARNING".equals(severity) ? "guard-warning" : "guard-regression";
        }
        return switch (status == null ? "" : status) {
            case "HEALTHY" -> "guard-healthy";
            case "INCONCLUSIVE" -> "guard-inconclusive";
            case "NO_DATA" -> "guard-no-data";
            case "INSUFFICIENT_DATA" -> "guard-insufficient";
            default -> "guard-unknown";
        };
    }

    /** What the status means for the rollout, in one sentence. */
    public String meaning() {
        return switch (status == null ? "" : status) {
            case "REGRESSION" ->
                "WARNING".equals(severity)
                        ? "The treated clients are worse than the control beyond the tolerance at the warning level:"
                                + " the guard notifies, it does not act."
                        : "The treated clients are worse than the control beyond the tolerance: the flag's guard"
                                + " policy applies.";
            case "HEALTHY" -> "Within the tolerance of the control on every guarded metric with data: safe to promote.";
            case "INCONCLUSIVE" -> "Not enough evidence yet either way.";
            case "NO_DATA" ->
                "A cohort has no data on any guarded metric: the guard cannot judge this stage and does not act.";
            case "INSUFFICIENT_DATA" ->
                "No metric has enough clients and events in both cohorts to be judged yet: the guard does not act.";
            default -> "The alert-service answered a status this console does not know.";
        };
    }

    public boolean regression() {
        return "REGRESSION".equals(status);
    }

    /** The badge of a verdict that is not about the flag as it is now ({@link #staleness}). */
    public String staleLabel(String staleness) {
        if (staleness != null && staleness.startsWith(NOT_YET_JUDGED)) {
            return "NOT YET JUDGED AT THIS STAGE";
        }
        if (staleness != null && staleness.startsWith(FLAG_UNREAD)) {
            return "NOT KNOWN IF CURRENT: " + statusLabel();
        }
        return "LAST VERDICT: " + statusLabel();
    }

    private static final String NOT_YET_JUDGED = "Not yet judged at this stage";
    private static final String FLAG_UNREAD = "The flag could not be read";

    /**
     * Why this verdict is not about the flag as it is now, or null when it is: the alert-service keeps a flag's last
     * verdict after a promotion (until a window of the new stage is judged), a kill or an abort. {@code flag} is the
     * flag-service's answer for the flag, null when it could not be read.
     */
    public String staleness(JsonNode flag) {
        if (flag == null) {
            return FLAG_UNREAD + ": whether this verdict is on its current stage is not known.";
        }
        if (flag.path("archived").asBoolean(false)) {
            return "The flag is archived: this verdict is from before, and the guard no longer judges it.";
        }
        if (flag.path("killed").asBoolean(false)) {
            return "The flag is killed: this verdict is from before the kill, and the guard does not judge a killed"
                    + " flag.";
        }
        if (flag.path("aborted").asBoolean(false)) {
            return "The rollout is aborted: this verdict is from before the abort, and the guard does not judge an"
                    + " aborted rollout.";
        }
        if (!underRollout(flag)) {
            return "The flag is not under rollout (off, or at 0 % or 100 % with no allow- or deny-list, rule or"
                    + " variant weights): this verdict is from before, and the guard does not judge the flag as it is.";
        }
        Long current = Json.lng(flag, "stageVersion");
        if (current != null && stageVersion != null && !current.equals(stageVersion)) {
            return NOT_YET_JUDGED + ": this verdict is on the stage begun at flag version "
                    + (stageVersion == null ? "unknown" : stageVersion) + ", the current stage began at version "
                    + current + ".";
        }
        return null;
    }

    /**
     * Whether the guard may be judging the flag as it is now. The guard judges what {@code Rollouts.underRollout} in
     * {@code schemas} calls under rollout, a flag set by hand off any plan (20 %, no stages) too; this reads the
     * flag-service's answer conservatively: only an off flag, or one at 0 % or 100 % with no allow- or deny-list, rule
     * or variant weights, counts as not under rollout (killed, archived and aborted are told apart before).
     */
    static boolean underRollout(JsonNode flag) {
        if (!flag.path("enabled").asBoolean(true)) {
            return false;
        }
        JsonNode share = flag.path("rolloutPercentage");
        if (!share.isNumber()) {
            return true;
        }
        BigDecimal percentage = share.decimalValue();
        if (percentage.signum() > 0 && percentage.compareTo(HUNDRED) < 0) {
            return true;
        }
        for (String field : List.of("allowList", "denyList", "rules", "variantWeights")) {
            if (!flag.path(field).isEmpty()) {
                return true;
            }
        }
        return false;
    }

    private static final BigDecimal HUNDRED = BigDecimal.valueOf(100);

    /**
     * The metric that decides the verdict: the regression with the strongest evidence (critical before warning),
     * else the first metric with clients in either cohort; null when there is none.
     */
    public Metric deciding() {
        return metrics.stream()
                .filter(m -> "REGRESSION".equals(m.status()))
                .min(Comparator.comparing((Metric m) -> !"CRITICAL".equals(m.severity()))
                        .thenComparing(
                                Comparator.comparingDouble(Metric::evidence).reversed()))
                .or(() -> metrics.stream()
                        .filter(m -> m.treatedClients() > 0 || m.controlClients() > 0)
                        .findFirst())
                .orElse(null);
    }

    /**
     * The order of the overview: a critical regression, a warning, a stage the guard cannot see (a cohort silent),
     * one not yet decided, one too young to judge, healthy last. A status this console does not know comes right after
     * the regressions, so it is looked at.
     */
    int rank() {
        return switch (status == null ? "" : status) {
            case "REGRESSION" -> "WARNING".equals(severity) ? 1 : 0;
            case "NO_DATA" -> 3;
            case "INCONCLUSIVE" -> 4;
            case "INSUFFICIENT_DATA" -> 5;
            case "HEALTHY" -> 6;
            default -> 2;
        };
    }

    private double strongestEvidence() {
        return metrics.stream().mapToDouble(Metric::evidence).max().orElse(0);
    }

    static String relative(double fraction) {
        return (fraction >= 0 ? "+" : "") + decimal(100 * fraction) + " %";
    }

    /** Three significant digits, thousands grouped by a space, as the alert-service writes its summaries. */
    static String decimal(double value) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return "-";
        }
        double magnitude = Math.abs(value);
        String pattern = magnitude >= 100 || magnitude == 0 ? "#,##0" : magnitude >= 10 ? "#,##0.0" : "#,##0.0#";
        if (magnitude < 1 && magnitude > 0) {
            pattern = "0.0##";
        }
        return new DecimalFormat(pattern, symbols()).format(value);
    }

    static String count(double value) {
        return new DecimalFormat("#,##0", symbols()).format(value);
    }

    private static DecimalFormatSymbols symbols() {
        DecimalFormatSymbols symbols = DecimalFormatSymbols.getInstance(Locale.ROOT);
        symbols.setGroupingSeparator(' ');
        return symbols;
    }
}
