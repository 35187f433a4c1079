package dev.rollguard.simulator.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollguard.cli.RollguardApi;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.event.AlertStatus;
import dev.rollguard.schemas.event.RollbackActionEvent;
import dev.rollguard.schemas.event.RollbackOutcome;
import dev.rollguard.schemas.event.Severity;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import dev.rollguard.simulator.FlagLookup;
import dev.rollguard.simulator.HealthModel;
import dev.rollguard.simulator.TelemetrySimulator;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * The closed loop, scripted: a flag ramped from internal users to 10 % whose treated clients start failing, a
 * second flag ramped with noisy but healthy telemetry, and an outage that hits both cohorts of a third. Run by {@code
 * bin/rollguard demo} (printing the timeline) and by the end-to-end test (asserting on the {@link Result}).
 *
 * <p>Expected: the first flag is killed within one window, plus the rule's {@code for}, plus a few seconds of its
 * breach; the healthy flag and the outage cause no rollback (the outage pages, scope-less, and is only notified).
 */
public final class ClosedLoopScenario {

    public static final String BAD_FLAG = "offline-recording";
    public static final String HEALTHY_FLAG = "sync-compression";
    public static final String OUTAGE_FLAG = "batch-uploads";
    public static final List<String> INTERNAL_USERS = List.of("admin@example.com", "qa@example.com", "dev@example.com");

    /**
     * The rule that switches the bad flag off: the default pack's guard (every guard metric, client as the unit,
     * evidence of the whole stage); the scenario writes no regression rule of its own.
     */
    public static final String REGRESSION_RULE = "guard";
    /** The demo's outage rule: global error rate above 20 % for two windows; it names no flag. */
    public static final String OUTAGE_RULE = "demo-global-error-rate";

    /**
     * @param window tumbling window size of metrics-ingest (must match its configuration)
     * @param grace how long metrics-ingest waits for late events before it closes a window (must match too)
     * @param clients virtual clients
     * @param eventsPerSecond telemetry rate over all clients
     * @param regressionFor how long the treatment must be worse before the alert fires (the guard needs none: 0)
     * @param flipTimeout how long to wait for the rollback before giving up
     */
    public record Settings(
            Duration window,
            Duration grace,
            int clients,
            double eventsPerSecond,
            Duration regressionFor,
            Duration flipTimeout) {

        /** The timings of {@code simulator/src/main/resources/demo-stack}. */
        public static Settings demo() {
            return new Settings(
                    Duration.ofSeconds(5), Duration.ofSeconds(5), 2000, 300, Duration.ZERO, Duration.ofSeconds(90));
        }

        /**
         * Longest acceptable time from the start of a breach to the flag being off: the breach may start late in a
         * window that then does not breach, the next window breaches and starts the rule's {@code for}, the one after
         * completes it; each closes a grace period after its end; then a few seconds for the alert and the flip.
         */
        public Duration flipBound() {
            return window.multipliedBy(3).plus(grace).plus(regressionFor).plusSeconds(5);
        }
    }

    /** What happened, for the summary and the end-to-end assertions. */
    public record Result(
            Instant started,
            Instant breachStarted,
            RollbackActionEvent badFlagRollback,
            List<RollbackActionEvent> rollbacks,
            List<AlertEvent> alerts,
            JsonNode badFlag,
            JsonNode healthyFlag,
            JsonNode outageFlag,
            long eventsSent,
            long eventsCounted,
            Instant countedFrom,
            Instant countedTo,
            long duplicatesSent) {

        public boolean noTelemetryLost() {
            return eventsSent == eventsCounted;
        }
    }

    private final RollguardApi api;
    private final String kafkaBootstrap;
    private final Settings settings;
    private final Narrator narrator;

    public ClosedLoopScenario(RollguardApi api, String kafkaBootstrap, Settings settings, Narrator narrator) {
        this.api = api;
        this.kafkaBootstrap = kafkaBootstrap;
        this.settings = settings;
        this.narrator = narrator;
    }

    public Result run() throws InterruptedException {
        Duration w = settings.window();
        try (Timeline timeline =
                new Timeline(kafkaBootstrap, narrator.listener(w, List.of(BAD_FLAG, HEALTHY_FLAG, OUTAGE_FLAG)))) {
            narrator.step(
                    "setup",
                    "flags " + BAD_FLAG + " (internal users only), " + HEALTHY_FLAG + " (50 %), " + OUTAGE_FLAG
                            + " (20 %), created with only their rollout (the default guard policy: KILL); rules: the"
                            + " default pack's " + REGRESSION_RULE + ", and " + OUTAGE_RULE + " for the short outage");
            setUpFlags();
            setUpRules();

            HealthModel health = new HealthModel(0.01, 800);
            // Noise on the healthy rollout: a little slower, a few more failures, inside the guard's tolerance (20 %).
            health.set(new HealthModel.Condition("noise", HEALTHY_FLAG, "on", HealthModel.Kind.ANY, 0.001, 30));
            var simulatorSettings = new TelemetrySimulator.Settings(
                    settings.clients(),
                    settings.eventsPerSecond(),
                    0.4,
                    0.01,
                    Duration.ofSeconds(2),
                    Set.of(BAD_FLAG, HEALTHY_FLAG, OUTAGE_FLAG),
                    INTERNAL_USERS,
                    42);
            try (var simulator = new TelemetrySimulator(
                    simulatorSettings,
                    health,
                    new FlagLookup(
                            api.endpoints().flagService(), api.endpoints().clientToken()),
                    kafkaBootstrap)) {
                simulator.start();
                Instant started = Instant.now();
                Instant countedFrom = ceil(started, w);
                narrator.step(
                        "simulate",
                        "%,d virtual clients, %.0f events/s; %d internal users see %s"
                                .formatted(
                                        settings.clients(),
                                        settings.eventsPerSecond(),
                                        simulator.clientsServed(BAD_FLAG, "on"),
                                        BAD_FLAG));

                pause(w.multipliedBy(2));
                JsonNode advanced = check(api.stage(BAD_FLAG, "advance", null, "internal soak passed"), "advance");
                simulator.refreshAll();
                narrator.step(
                        "ramp",
                        "%s -> stage %s, %s %% of users; %,d clients now treated"
                                .formatted(
                                        BAD_FLAG,
                                        advanced.path("stages")
                                                .path(advanced.path("currentStage")
                                                        .asInt())
                                                .path("name")
                                                .asText(),
                                        advanced.path("rolloutPercentage").asText(),
                                        simulator.clientsServed(BAD_FLAG, "on")));

                pause(w.multipliedBy(2));
                Instant breachStarted = Instant.now();
                health.set(new HealthModel.Condition("regression", BAD_FLAG, "on", HealthModel.Kind.ANY, 0.35, 1_500));
                narrator.step("breach", "treated clients of " + BAD_FLAG + " start failing (+35 % errors, +1.5 s)");

                RollbackActionEvent flip = awaitRollback(timeline, BAD_FLAG, settings.flipTimeout());
                simulator.refreshAll(); // what the SSE change stream tells real clients to do
                health.clear("regression");
                narrator.step(
                        "after",
                        "%,d clients still served %s=on".formatted(simulator.clientsServed(BAD_FLAG, "on"), BAD_FLAG));

                pause(w);
                health.set(new HealthModel.Condition("outage", null, null, HealthModel.Kind.ANY, 0.40, 0));
                narrator.step("outage", "a backend outage hits every client, treated or not (+40 % errors)");
                waitFor(
                        () -> !timeline.alerts(
                                        a -> a.getRuleId().equals(OUTAGE_RULE) && a.getStatus() == AlertStatus.FIRING)
                                .isEmpty(),
                        w.multipliedBy(6));
                pause(w);
                health.clear("outage");
                narrator.step("recover", "the outage ends");

                pause(w.multipliedBy(2));
                Instant countedTo = floor(Instant.now(), w);
                waitFor(
                        () -> timeline.globalWindows(countedTo.minus(w), countedTo)
                                        .size()
                                == 1,
                        w.multipliedBy(4));
                simulator.stop();

                long counted = timeline.globalWindows(countedFrom, countedTo).stream()
                        .mapToLong(WindowMetricsEvent::getEventCount)
                        .sum();
                long sent = simulator.ackedBetween(countedFrom, countedTo);
                Result result = new Result(
                        started,
                        breachStarted,
                        flip,
                        timeline.rollbacks(),
                        timeline.alerts(),
                        api.flag(BAD_FLAG).body(),
                        api.flag(HEALTHY_FLAG).body(),
                        api.flag(OUTAGE_FLAG).body(),
                        sent,
                        counted,
                        countedFrom,
                        countedTo,
                        simulator.duplicatesAcked());
                narrator.summary(result);
                return result;
            }
        }
    }

    private void setUpFlags() {
        ArrayNode stages = RollguardApi.JSON.createArrayNode();
        stages.addObject().put("name", "internal").put("percentage", 0).put("minSoakSeconds", 0);
        stages.addObject().put("name", "10%").put("percentage", 10).put("minSoakSeconds", 0);
        stages.addObject().put("name", "50%").put("percentage", 50).put("minSoakSeconds", 0);
        stages.addObject().put("name", "100%").put("percentage", 100).put("minSoakSeconds", 0);
        ObjectNode bad = flag(BAD_FLAG, "Record edits while offline and replay them on reconnect", 0);
        bad.set("stages", stages);
        bad.put("currentStage", 0);
        INTERNAL_USERS.forEach(bad.withArray("allowList")::add);
        upsertFlag(bad);
        upsertFlag(flag(HEALTHY_FLAG, "Compress sync payloads", 50));
        upsertFlag(flag(OUTAGE_FLAG, "Batch small uploads into one request", 20));
    }

    /** A flag as a new user creates it: no guard policy, so the default (KILL) applies. */
    private static ObjectNode flag(String key, String description, int percentage) {
        ObjectNode flag = RollguardApi.JSON.createObjectNode();
        flag.put("key", key)
                .put("description", description)
                .put("owner", "demo")
                .put("enabled", true);
        flag.put("rolloutPercentage", percentage);
        return flag;
    }

    /** Creates the flag, or brings an existing one (from an earlier run) back to this state. */
    private void upsertFlag(ObjectNode desired) {
        String key = desired.path("key").asText();
        RollguardApi.Answer existing = api.flag(key);
        if (existing.status() == 404) {
            check(api.createFlag(desired), "create " + key);
            return;
        }
        check(existing, "read " + key);
        if (existing.body().path("killed").asBoolean()) {
            check(api.unkill(key, "demo reset"), "unkill " + key);
            existing = api.flag(key);
        }
        ObjectNode changes = desired.deepCopy();
        changes.remove("key");
        if (!changes.has("stages")) {
            changes.putArray("stages");
            changes.putNull("currentStage");
        }
        if (!changes.has("allowList")) {
            changes.putArray("allowList");
        }
        check(api.updateFlag(key, changes, existing.header("ETag")), "reset " + key);
    }

    /**
     * The demo's outage rule: the default pack pages on a global error rate only after minutes, longer than the demo's
     * two-minute outage lasts. It names no flag, so it only notifies.
     */
    private void setUpRules() {
        ObjectNode outage = RollguardApi.JSON.createObjectNode();
        outage.put("id", OUTAGE_RULE).put("name", "Global error rate high (demo)");
        outage.put("metric", "errorRate").put("comparator", "GT");
        outage.putObject("critical").put("threshold", 0.20);
        outage.put("forSeconds", settings.window().toSeconds());
        outage.put("keepFiringForSeconds", settings.window().toSeconds());
        outage.put("minSampleSize", 50);
        outage.putObject("scope")
                .put("windowKind", "TUMBLING")
                .putArray("types")
                .add("GLOBAL");
        outage.putObject("annotations").put("summary", "Everyone's error rate is high: not one flag's fault");
        upsertRule(outage);
    }

    private void upsertRule(ObjectNode rule) {
        String id = rule.path("id").asText();
        RollguardApi.Answer created = api.createRule(rule);
        if (created.status() == 409) {
            check(
                    api.send(
                            "PUT",
                            api.endpoints().alertService() + "/api/rules/" + id,
                            api.endpoints().adminToken(),
                            rule,
                            java.util.Map.of()),
                    "update rule " + id);
        } else {
            check(created, "create rule " + id);
        }
    }

    private RollbackActionEvent awaitRollback(Timeline timeline, String flagKey, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            List<RollbackActionEvent> applied = timeline.rollbacks(r -> flagKey.equals(r.getFlagKey())
                    && (r.getOutcome() == RollbackOutcome.APPLIED || r.getOutcome() == RollbackOutcome.DRY_RUN));
            if (!applied.isEmpty()) {
                return applied.get(0);
            }
            Thread.sleep(100);
        }
        narrator.step("timeout", "no rollback of " + flagKey + " within " + timeout.toSeconds() + " s");
        return null;
    }

    private static void waitFor(BooleanSupplier condition, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
    }

    private static void pause(Duration d) throws InterruptedException {
        Thread.sleep(d.toMillis());
    }

    static Instant ceil(Instant t, Duration w) {
        long ms = w.toMillis();
        return Instant.ofEpochMilli(((t.toEpochMilli() + ms - 1) / ms) * ms);
    }

    static Instant floor(Instant t, Duration w) {
        long ms = w.toMillis();
        return Instant.ofEpochMilli((t.toEpochMilli() / ms) * ms);
    }

    private static JsonNode check(RollguardApi.Answer answer, String what) {
        return answer.orThrow(what).body();
    }

    /** Critical firing alerts naming {@code flagKey}. */
    public static List<AlertEvent> criticalFiring(List<AlertEvent> alerts, String flagKey) {
        List<AlertEvent> result = new ArrayList<>();
        for (AlertEvent a : alerts) {
            if (a.getStatus() == AlertStatus.FIRING
                    && a.getSeverity() == Severity.CRITICAL
                    && flagKey.equals(a.getFlagKey())) {
                result.add(a);
            }
        }
        return result;
    }
}
