package dev.rollguard.simulator.demo;

import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.event.RollbackActionEvent;
import dev.rollguard.schemas.event.RolloutAction;
import dev.rollguard.schemas.event.RolloutActionEvent;
import dev.rollguard.schemas.event.ScopeType;
import dev.rollguard.schemas.event.WindowKind;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Tells the story of a scenario as it happens: one line per step, window, alert, flag change, rollback and step of the
 * promoter.
 */
public final class Narrator {

    private static final DateTimeFormatter CLOCK =
            DateTimeFormatter.ofPattern("HH:mm:ss.S").withZone(ZoneId.systemDefault());

    private final PrintStream out;
    private final Instant start = Instant.now();
    private final ScheduledExecutorService printer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "narrator");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, Map<Cohort, WindowMetricsEvent>> pendingWindows = new ConcurrentHashMap<>();

    public Narrator(PrintStream out) {
        this.out = out;
    }

    /** A narrator that prints nothing (the end-to-end test reads the result instead). */
    public static Narrator silent() {
        return new Narrator(new PrintStream(java.io.OutputStream.nullOutputStream()));
    }

    public synchronized void step(String tag, String text) {
        line(tag.toUpperCase(), text);
    }

    private synchronized void line(String tag, String text) {
        Instant now = Instant.now();
        out.printf(
                "%s  +%-4s %-9s %s%n",
                CLOCK.format(now), Duration.between(start, now).toSeconds() + "s", tag, text);
    }

    /** Prints the changes of {@code flags} and the cohort windows of {@code windowFlags}. */
    Timeline.Listener listener(Duration window, List<String> flags, List<String> windowFlags) {
        return new Timeline.Listener() {
            @Override
            public void window(WindowMetricsEvent w) {
                if (w.getWindowKind() != WindowKind.TUMBLING) {
                    return;
                }
                String period = CLOCK.format(w.getWindowStart()).substring(0, 8);
                if (w.getScopeType() == ScopeType.GLOBAL) {
                    line(
                            "WINDOW",
                            "%s all clients     n=%-5d errors %s"
                                    .formatted(period, w.getEventCount(), pct(w.getErrorRate())));
                    return;
                }
                if (w.getScopeType() != ScopeType.FLAG_COHORT || !windowFlags.contains(w.getFlagKey())) {
                    return;
                }
                String key = w.getFlagKey() + "@" + w.getWindowStart();
                Map<Cohort, WindowMetricsEvent> pair =
                        pendingWindows.computeIfAbsent(key, k -> new ConcurrentHashMap<>());
                pair.put(w.getCohort(), w);
                if (w.getCohort() == Cohort.TREATMENT && w.getEventCount() == 0) {
                    // The flag is off for everyone (killed): nothing left to compare.
                    pendingWindows.remove(key);
                    return;
                }
                if (pair.size() == 2) {
                    printPair(key, period, w.getFlagKey());
                } else {
                    // A cohort with no event in the period has no window: print the other one alone.
                    printer.schedule(
                            () -> printPair(key, period, w.getFlagKey()), window.toMillis(), TimeUnit.MILLISECONDS);
                }
            }

            @Override
            public void alert(AlertEvent a) {
                String scope = a.getFlagKey() != null
                        ? "flag " + a.getFlagKey()
                                + (a.getCohort() == null
                                        ? ""
                                        : "/" + a.getCohort().toString().toLowerCase())
                        : a.getScopeKey();
                String evidence = a.getComparison() != null && a.getComparison().getSummary() != null
                        ? a.getComparison().getSummary()
                        : a.getComparison() != null
                                ? "treatment %s vs control %s (n=%d/%d, p=%.1e)"
                                        .formatted(
                                                pct(a.getComparison().getTreatmentValue()),
                                                pct(a.getComparison().getControlValue()),
                                                a.getComparison().getTreatmentSamples(),
                                                a.getComparison().getControlSamples(),
                                                a.getComparison().getPValue() == null
                                                        ? Double.NaN
                                                        : a.getComparison().getPValue())
                                : "%s = %s, threshold %s (n=%d)"
                                        .formatted(
                                                a.getMetric(),
                                                num(a.getObservedValue()),
                                                num(a.getThreshold()),
                                                a.getSampleSize());
                line(
                        "ALERT",
                        "%s %s \"%s\" %s: %s"
                                .formatted(a.getStatus(), a.getSeverity(), a.getRuleName(), scope, evidence));
            }

            @Override
            public void rollback(RollbackActionEvent r) {
                line(
                        "ROLLBACK",
                        "%s %s -> %s: %s"
                                .formatted(
                                        r.getAction(),
                                        r.getFlagKey() == null ? "(no flag)" : r.getFlagKey(),
                                        r.getOutcome(),
                                        r.getReason()));
                String timings = timings(r);
                if (!timings.isEmpty()) {
                    line("", "  " + timings);
                }
            }

            @Override
            public void rollout(RolloutActionEvent r) {
                line(
                        "ROLLOUT",
                        "%s %s %s -> %s: %s"
                                .formatted(r.getAction(), r.getFlagKey(), stageMove(r), r.getOutcome(), evidence(r)));
            }

            @Override
            public void flagChanged(FlagChangedEvent f) {
                if (!flags.contains(f.getFlagKey()) && !"*".equals(f.getFlagKey())) {
                    return;
                }
                String state = f.getKilled() ? "KILLED (" + f.getKillReason() + ")" : f.getEnabled() ? "on" : "off";
                line(
                        "FLAG",
                        "%s v%d %s by %s: %s, rollout %s %%"
                                .formatted(
                                        f.getFlagKey(),
                                        f.getVersion(),
                                        f.getChangeType(),
                                        f.getActor(),
                                        state,
                                        f.getRolloutBasisPoints() / 100.0));
            }
        };
    }

    private void printPair(String key, String period, String flag) {
        Map<Cohort, WindowMetricsEvent> pair = pendingWindows.remove(key);
        if (pair != null) {
            line(
                    "WINDOW",
                    "%s %-17s treatment %-25s control %s"
                            .formatted(
                                    period,
                                    flag,
                                    figure(pair.get(Cohort.TREATMENT)),
                                    figure(pair.get(Cohort.CONTROL))));
        }
    }

    private static String figure(WindowMetricsEvent w) {
        if (w == null || w.getEventCount() == 0) {
            return "-";
        }
        return "%s p95 %s of %d".formatted(pct(w.getErrorRate()), seconds(w.getDurationP95Ms()), w.getEventCount());
    }

    private static String seconds(Double millis) {
        return millis == null ? "-" : "%.1fs".formatted(millis / 1000);
    }

    /** The guard's verdict on a flag, as {@code GET /api/guard} shows it; {@code verdict} null when it has none. */
    void guard(String flag, com.fasterxml.jackson.databind.JsonNode verdict) {
        if (verdict == null) {
            line("GUARD", flag + ": no verdict");
            return;
        }
        String metric = verdict.path("metrics").path(0).path("summary").asText("");
        line(
                "GUARD",
                "%s: %s%s"
                        .formatted(
                                flag,
                                verdict.path("summary")
                                        .asText(verdict.path("status").asText()),
                                metric.isEmpty() ? "" : " (" + metric + ")"));
    }

    /** "internal (0 %) -> 10% (10 %)", or the one stage a step that moves nothing judged. */
    static String stageMove(RolloutActionEvent r) {
        String from = "'%s' (%s %%)".formatted(r.getFromStageName(), percent(r.getFromPercentage()));
        if (r.getAction() != RolloutAction.PROMOTE && r.getAction() != RolloutAction.REVERT) {
            return from;
        }
        return from + " -> " + "'%s' (%s %%)".formatted(r.getToStageName(), percent(r.getToPercentage()));
    }

    /** The evidence of a promoter's step: the guard's verdict, clients per cohort against the minimum, the soak. */
    static String evidence(RolloutActionEvent r) {
        long judged = r.getMetrics().stream()
                .filter(m -> "NON_INFERIOR".equals(m.getStatus()))
                .count();
        String shown = r.getTolerancePercent() == null
                ? "%d of %d metrics non-inferior"
                        .formatted(judged, r.getMetrics().size())
                : "every metric shown within +%d %%".formatted(r.getTolerancePercent());
        return "verdict %s%s, %s, clients %,d treated / %,d control (%,d needed), %d s in stage (soak %d s)"
                .formatted(
                        r.getVerdict() == null ? "none" : r.getVerdict(),
                        r.getConfidence() == null ? "" : " at %.0f %% confidence".formatted(100 * r.getConfidence()),
                        shown,
                        r.getTreatedClients(),
                        r.getControlClients(),
                        r.getMinClientsPerCohort(),
                        r.getSecondsInStage(),
                        r.getMinSoakSeconds());
    }

    /** "10% (10 %, soak 15 s, 100 clients per cohort, auto)". */
    static String describe(ClosedLoopScenario.Stage stage) {
        return stage.name() + " (" + stage.percentage() + " %"
                + (stage.auto()
                        ? ", soak %d s, %d clients per cohort, auto"
                                .formatted(stage.minSoakSeconds(), stage.minClientsPerCohort())
                        : "")
                + ")";
    }

    /** The promoter's assessment of a flag, as {@code GET /api/promotions} serves it: decision and reasons. */
    static String assessment(com.fasterxml.jackson.databind.JsonNode a) {
        if (a == null) {
            return "no assessment";
        }
        List<String> reasons = new java.util.ArrayList<>();
        a.path("reasons").forEach(r -> reasons.add(r.asText()));
        return "stage '%s' %s, waiting for %s: %s"
                .formatted(
                        a.path("stageName").asText(),
                        a.path("decision").asText(),
                        a.path("waitingFor"),
                        String.join("; ", reasons));
    }

    private static String percent(Double value) {
        if (value == null) {
            return "-";
        }
        return value == Math.rint(value) ? String.valueOf(value.longValue()) : String.valueOf(value);
    }

    static String timings(RollbackActionEvent r) {
        StringBuilder s = new StringBuilder();
        append(s, "breach->window closed", r.getFirstBreachAt(), r.getWindowClosedAt());
        append(s, "->alert", r.getWindowClosedAt(), r.getAlertFiredAt());
        append(s, "->received", r.getAlertFiredAt(), r.getAlertReceivedAt());
        append(s, "->flag changed", r.getAlertReceivedAt(), r.getFlagChangedAt());
        append(s, "->visible on OFREP", r.getFlagChangedAt(), r.getVisibleAt());
        append(s, "; breach->flag off", r.getFirstBreachAt(), r.getFlagChangedAt());
        return s.toString();
    }

    private static void append(StringBuilder s, String label, Instant from, Instant to) {
        if (from != null && to != null) {
            s.append(label)
                    .append(' ')
                    .append(Duration.between(from, to).toMillis())
                    .append(" ms ");
        }
    }

    private static String pct(Double rate) {
        return rate == null ? "-" : "%.1f%%".formatted(rate * 100);
    }

    private static String num(Double value) {
        return value == null ? "-" : "%.4g".formatted(value);
    }

    private static String stageName(int index) {
        return index >= 0 && index < ClosedLoopScenario.PLAN.size()
                ? ClosedLoopScenario.PLAN.get(index).name()
                : "none";
    }

    /** Where the healthy flag's walk ended and how long each stage took, from the promoter's steps. */
    private void walk(ClosedLoopScenario.Result r) {
        String key = ClosedLoopScenario.HEALTHY_FLAG;
        List<String> stages = new java.util.ArrayList<>();
        for (RolloutActionEvent step : r.promotions(key)) {
            stages.add("'%s' %d s (%,d/%,d clients, %s)"
                    .formatted(
                            step.getFromStageName(),
                            step.getSecondsInStage(),
                            step.getTreatedClients(),
                            step.getControlClients(),
                            step.getOutcome() == dev.rollguard.schemas.event.RolloutOutcome.APPLIED
                                    ? step.getVerdict()
                                    : step.getOutcome().toString()));
        }
        int at = r.stage(key);
        String end = r.walked() != null
                ? "walked to '%s' by itself in %d s: %s"
                        .formatted(
                                stageName(at),
                                Duration.between(r.started(), r.walked()).toSeconds(),
                                String.join(" -> ", stages))
                : "still at stage '%s'%s; the promoter: %s"
                        .formatted(
                                stageName(at),
                                stages.isEmpty() ? "" : " after " + String.join(" -> ", stages),
                                assessment(r.healthyAssessment()));
        out.printf("  %-18s %s%n", key, end);
    }

    void summary(ClosedLoopScenario.Result r) {
        out.println();
        out.println("Summary");
        out.println("-------");
        for (String key : ClosedLoopScenario.FLAGS) {
            var flag = r.flag(key);
            String state = r.killed(key)
                    ? "SWITCHED OFF: " + flag.path("killReason").asText()
                    : "left alone (rollout " + flag.path("rolloutPercentage").asText() + " %)";
            if (key.equals(ClosedLoopScenario.SILENT_FLAG)) {
                state += ", guard " + (r.silentGuardStatus() == null ? "has no verdict" : r.silentGuardStatus());
            }
            out.printf("  %-18s %s%n", key, state);
        }
        for (ClosedLoopScenario.BadRollout bad : ClosedLoopScenario.BAD_ROLLOUTS) {
            RollbackActionEvent kill = r.kills().get(bad.flag());
            if (kill == null) {
                out.printf("  %-18s NOT SWITCHED OFF (%s)%n", bad.flag(), bad.metricLabel());
                continue;
            }
            out.printf("  %-18s time to safety: %s%n", bad.flag(), timings(kill).strip());
        }
        walk(r);
        for (ClosedLoopScenario.BadRollout bad : ClosedLoopScenario.BAD_ROLLOUTS) {
            int promoted = r.promotions(bad.flag()).size();
            out.printf(
                    "  %-18s %s%n",
                    bad.flag(),
                    promoted == 0
                                    && Integer.valueOf(r.stage(bad.flag()))
                                            .equals(r.stagesAtBreach().get(bad.flag()))
                            ? "never promoted: still at stage '" + stageName(r.stage(bad.flag())) + "'"
                            : "PROMOTED " + promoted + " time(s), now at stage '" + stageName(r.stage(bad.flag()))
                                    + "'");
        }
        List<String> othersOff = r.rollbacks().stream()
                .filter(a -> a.getFlagKey() != null
                        && ClosedLoopScenario.BAD_ROLLOUTS.stream()
                                .noneMatch(b -> b.flag().equals(a.getFlagKey())))
                .filter(a -> a.getOutcome() == dev.rollguard.schemas.event.RollbackOutcome.APPLIED)
                .map(a -> a.getFlagKey())
                .distinct()
                .toList();
        long notified = r.rollbacks().stream()
                .filter(a -> a.getOutcome() == dev.rollguard.schemas.event.RollbackOutcome.NOTIFIED)
                .count();
        out.printf(
                "  other rollbacks    %s; %d alert(s) naming no flag were only notified%n",
                othersOff.isEmpty() ? "none" : "SWITCHED OFF " + String.join(", ", othersOff), notified);
        out.printf(
                "  telemetry          %,d events sent in %s..%s, %,d counted in the windows%s: %s (%,d duplicate deliveries counted once)%n",
                r.eventsSent(),
                CLOCK.format(r.countedFrom()),
                CLOCK.format(r.countedTo()),
                r.eventsCounted(),
                r.eventsLate() == 0
                        ? ""
                        : ", %,d dead-lettered as late (telemetry.dlq, code LATE: they reached metrics-ingest after their window closed)"
                                .formatted(r.eventsLate()),
                r.noTelemetryLost() ? "nothing lost or double counted" : "MISMATCH",
                r.duplicatesSent());
        out.flush();
    }
}
