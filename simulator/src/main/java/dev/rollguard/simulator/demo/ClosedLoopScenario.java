package dev.rollguard.simulator.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollguard.cli.RollguardApi;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.event.AlertStatus;
import dev.rollguard.schemas.event.RollbackActionEvent;
import dev.rollguard.schemas.event.RollbackOutcome;
import dev.rollguard.schemas.event.RolloutAction;
import dev.rollguard.schemas.event.RolloutActionEvent;
import dev.rollguard.schemas.event.RolloutOutcome;
import dev.rollguard.schemas.event.Severity;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import dev.rollguard.simulator.FlagLookup;
import dev.rollguard.simulator.HealthModel;
import dev.rollguard.simulator.TelemetrySimulator;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * The closed loop, scripted. Three rollouts go bad, each on one kind of guarded metric: the treated clients of the
 * first fail more often (a proportion), those of the second sync several times slower (a tail latency), those of the
 * third leave several times as many mutations pending (a mean). A healthy rollout with noisy telemetry, an outage that
 * hits both cohorts of every flag, and a rollout whose treated clients send nothing at all run beside them. Run by
 * {@code bin/rollguard demo} (printing the timeline) and by the end-to-end test (asserting on the {@link Result}).
 *
 * <p>The bad rollouts and the healthy one are on the same plan, {@link #PLAN}: internal -> 10 % -> 50 % -> 100 %, every
 * step {@code auto}, so the rollback-service's promoter may advance any of them by itself once the stage's soak is
 * over, both cohorts have their minimum clients, no alert is pending or firing on the flag and the guard's verdict on
 * the stage shows every guarded metric within the stage's tolerance: +200 % at the internal stage ("not three times
 * as bad", all a hundred-odd people can show in a minute or two), +100 % at 10 % and +50 % at 50 %. The healthy
 * flag starts at its internal stage (the {@link #STAFF} allow-list); the scenario
 * waits for it to reach 100 %, at most {@link Settings#walkTimeout()} from the start, printing the promoter's view as
 * it goes.
 *
 * <p>Expected: the default pack's guard switches each bad flag off within one window, plus a few seconds of its breach,
 * naming the metric that regressed, and none of them is ever promoted; the healthy flag, the outage and the silent
 * rollout cause no rollback (the outage pages, scope-less, and is only notified; the silent rollout is shown by the
 * guard as NO_DATA); the healthy flag walks its whole plan by itself. What takes longest is a rare metric (the
 * quota-exceeded share of uploads, about 0.5 %) and the failure rates: ruling out +50 % on a 1 % upload failure rate
 * takes thousands of uploads in each cohort, hence the demo's 1 000 events/s; the healthy flag's noise (+0.1 point of
 * failures, +30 ms) is well inside every tolerance.
 */
public final class ClosedLoopScenario {

    public static final String BAD_FLAG = "offline-recording";
    public static final String SLOW_FLAG = "delta-sync";
    public static final String PENDING_FLAG = "write-batching";
    public static final String HEALTHY_FLAG = "sync-compression";
    public static final String OUTAGE_FLAG = "batch-uploads";
    public static final String SILENT_FLAG = "telemetry-v2";
    /** The team behind {@link #BAD_FLAG}: the allow-list of its internal stage. */
    public static final List<String> INTERNAL_USERS = List.of("admin@example.com", "qa@example.com", "dev@example.com");

    /**
     * The rest of the company: the allow-list of {@link #HEALTHY_FLAG}'s internal stage, enough people for a treated
     * cohort the guard can judge (it needs 20 clients). Disjoint from {@link #INTERNAL_USERS}: people on both lists
     * would carry {@link #BAD_FLAG}'s failures into the healthy flag's treated cohort, and the guard would rightly call
     * that a regression of the healthy flag too.
     */
    public static final List<String> STAFF = IntStream.rangeClosed(1, 200)
            .mapToObj("staff-%03d@example.com"::formatted)
            .toList();

    /**
     * One stage of a rollout plan.
     *
     * @param auto whether the promoter advances it by itself (the last stage has nowhere to go: manual)
     * @param tolerancePercent the worsening of any guarded metric the guard must rule out before the promoter
     *     advances it; null for the guard's own tolerance (its HEALTHY verdict)
     */
    public record Stage(
            String name,
            int percentage,
            long minSoakSeconds,
            long minClientsPerCohort,
            boolean auto,
            Integer tolerancePercent) {

        ObjectNode toJson() {
            ObjectNode stage = RollguardApi.JSON.createObjectNode();
            stage.put("name", name)
                    .put("percentage", percentage)
                    .put("minSoakSeconds", minSoakSeconds)
                    .put("minClientsPerCohort", minClientsPerCohort);
            if (auto) {
                stage.put("promotion", "auto");
            }
            if (tolerancePercent != null) {
                stage.put("tolerancePercent", tolerancePercent);
            }
            return stage;
        }
    }

    /**
     * The plan of every flag of the scenario that has one: internal users, 10 %, 50 %, 100 %, each step taken by the
     * promoter once the soak is over, each cohort has its clients and the guard calls the stage HEALTHY. Soaks and
     * minimums fit the demo's time scale (seconds, not days).
     */
    public static final List<Stage> PLAN = List.of(
            new Stage("internal", 0, 15, 20, true, 200),
            new Stage("10%", 10, 15, 100, true, 100),
            new Stage("50%", 50, 15, 300, true, 50),
            new Stage("100%", 100, 0, 0, false, null));

    /** How often the narrator shows the promoter's view of the healthy flag while the scenario waits for its walk. */
    private static final Duration WALK_LOOK = Duration.ofSeconds(30);

    /** Index of the last stage of {@link #PLAN}: where the healthy flag's walk ends. */
    public static final int LAST_STAGE = PLAN.size() - 1;

    /**
     * A rollout that goes bad on one metric.
     *
     * @param flag the flag
     * @param metricLabel the label of the guard metric that must name the regression
     * @param regression what its treated clients suffer once it breaks
     * @param story the narrator's line for the breach
     */
    public record BadRollout(String flag, String metricLabel, HealthModel.Condition regression, String story) {}

    /**
     * The bad rollouts, in the order they break: the two at 10 % since the start first, before their stage's evidence
     * can mature (a rollout that breaks just as its evidence would promote it is promoted on the windows before its
     * breach, and switched off at the next share), then {@link #BAD_FLAG} once a person has ramped it.
     */
    public static final List<BadRollout> BAD_ROLLOUTS = List.of(
            new BadRollout(
                    SLOW_FLAG,
                    "sync duration",
                    new HealthModel.Condition(
                            "regression-" + SLOW_FLAG, SLOW_FLAG, "on", HealthModel.Kind.SYNC, 0, 4_000),
                    "treated clients of " + SLOW_FLAG + " sync 4 s slower (p95 about 1.8 s -> 5.8 s)"),
            new BadRollout(
                    PENDING_FLAG,
                    "pending mutations",
                    HealthModel.Condition.pendingGrowth("regression-" + PENDING_FLAG, PENDING_FLAG, "on", 5),
                    "treated clients of " + PENDING_FLAG + " leave 5 times as many mutations pending"),
            new BadRollout(
                    BAD_FLAG,
                    "failure rate",
                    new HealthModel.Condition("regression-" + BAD_FLAG, BAD_FLAG, "on", HealthModel.Kind.ANY, 0.35, 0),
                    "treated clients of " + BAD_FLAG + " start failing (+35 % failures)"));

    /** Every flag of the scenario, in the order the summary lists them. */
    public static final List<String> FLAGS =
            List.of(BAD_FLAG, SLOW_FLAG, PENDING_FLAG, HEALTHY_FLAG, OUTAGE_FLAG, SILENT_FLAG);

    /**
     * The rule that switches the bad flags off: the default pack's guard (every guard metric, client as the unit,
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
     * @param flipTimeout how long to wait for each rollback, from its breach, before giving up
     * @param walkTimeout how long to wait, from the start of the simulation, for the healthy flag to reach its last
     *     stage by itself before giving up
     */
    public record Settings(
            Duration window,
            Duration grace,
            int clients,
            double eventsPerSecond,
            Duration regressionFor,
            Duration flipTimeout,
            Duration walkTimeout) {

        /** The timings of {@code simulator/src/main/resources/demo-stack}. */
        public static Settings demo() {
            return new Settings(
                    Duration.ofSeconds(5),
                    Duration.ofSeconds(5),
                    3000,
                    1000,
                    Duration.ZERO,
                    Duration.ofSeconds(90),
                    Duration.ofMinutes(7));
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

    /**
     * What happened, for the summary and the end-to-end assertions.
     *
     * @param breaches when each bad rollout broke
     * @param kills the first applied rollback of each bad rollout that was switched off
     * @param flags every flag of the scenario as the flag-service shows it at the end
     * @param silentGuard the guard's verdict on {@link #SILENT_FLAG} from {@code GET /api/guard}, null if it has none
     * @param stagesAtBreach the stage each bad rollout was in when it broke
     * @param rollouts every step the promoter published while the scenario ran
     * @param walked when the promoter took the healthy flag to its last stage, null if it did not in time
     * @param healthyAssessment the promoter's last assessment of {@link #HEALTHY_FLAG} ({@code GET /api/promotions})
     */
    public record Result(
            Instant started,
            Map<String, Instant> breaches,
            Map<String, RollbackActionEvent> kills,
            Map<String, Integer> stagesAtBreach,
            List<RollbackActionEvent> rollbacks,
            List<RolloutActionEvent> rollouts,
            Instant walked,
            JsonNode healthyAssessment,
            List<AlertEvent> alerts,
            Map<String, JsonNode> flags,
            JsonNode silentGuard,
            long eventsSent,
            long eventsCounted,
            long eventsLate,
            Instant countedFrom,
            Instant countedTo,
            long duplicatesSent) {

        /**
         * Every event acknowledged is counted once in the windows, or was dead-lettered as late (its window had closed
         * when it reached metrics-ingest's stream task, as on a machine too busy to keep the clients' sends within the
         * grace period): on {@code telemetry.dlq} with its reason, never dropped without a trace.
         */
        public boolean noTelemetryLost() {
            return eventsSent == eventsCounted + eventsLate;
        }

        public JsonNode flag(String key) {
            return flags.get(key);
        }

        public boolean killed(String key) {
            return flags.get(key).path("killed").asBoolean();
        }

        /** The guard's state of the silent rollout (NO_DATA expected), or null. */
        public String silentGuardStatus() {
            return silentGuard == null ? null : silentGuard.path("status").asText(null);
        }

        /** The flag's current stage index, -1 when it has no plan. */
        public int stage(String key) {
            return flags.get(key).path("currentStage").asInt(-1);
        }

        /** The promoter's PROMOTE steps of a flag, applied or not, in the order they were published. */
        public List<RolloutActionEvent> promotions(String key) {
            return rollouts.stream()
                    .filter(r -> key.equals(r.getFlagKey()) && r.getAction() == RolloutAction.PROMOTE)
                    .toList();
        }

        /** The healthy flag is at its last stage, and the promoter took it there, one applied step per stage. */
        public boolean healthyWalked() {
            List<RolloutActionEvent> steps = promotions(HEALTHY_FLAG);
            return stage(HEALTHY_FLAG) == LAST_STAGE
                    && steps.size() == LAST_STAGE
                    && steps.stream().allMatch(r -> r.getOutcome() == RolloutOutcome.APPLIED);
        }

        /**
         * The healthy flag walked on its evidence: at its last stage through applied promotions, each standing on every
         * reported metric shown within its stage's tolerance (or, for a stage without one, on a HEALTHY verdict).
         */
        public boolean healthyWalkedOnItsEvidence() {
            return healthyWalked() && promotions(HEALTHY_FLAG).stream().allMatch(Result::onEvidence);
        }

        private static boolean onEvidence(RolloutActionEvent step) {
            if (step.getTolerancePercent() == null) {
                return "HEALTHY".equals(step.getVerdict());
            }
            double tolerance = step.getTolerancePercent() / 100.0;
            return step.getMetrics().stream()
                    .filter(m -> m.getTreatedClients() > 0 || m.getControlClients() > 0)
                    .allMatch(m -> m.getShownWithin() != null && m.getShownWithin() <= tolerance + 1e-9);
        }

        /** No bad rollout was promoted, and each is still in the stage it broke in. */
        public boolean badNeverAdvanced() {
            return BAD_ROLLOUTS.stream()
                    .allMatch(b -> promotions(b.flag()).isEmpty()
                            && Integer.valueOf(stage(b.flag())).equals(stagesAtBreach.get(b.flag())));
        }

        /**
         * Every bad rollout killed and never promoted, nothing else rolled back, the healthy flag at its last stage on
         * its evidence ({@link #healthyWalkedOnItsEvidence()}), the silent rollout NO_DATA, no telemetry lost.
         */
        public boolean asExpected() {
            Set<String> bad = new HashSet<>();
            BAD_ROLLOUTS.forEach(b -> bad.add(b.flag()));
            boolean badKilled = bad.stream().allMatch(this::killed);
            boolean othersAlone = FLAGS.stream().filter(f -> !bad.contains(f)).noneMatch(this::killed)
                    && rollbacks.stream()
                            .noneMatch(r -> r.getOutcome() == RollbackOutcome.APPLIED && !bad.contains(r.getFlagKey()));
            return badKilled
                    && othersAlone
                    && badNeverAdvanced()
                    && healthyWalkedOnItsEvidence()
                    && "NO_DATA".equals(silentGuardStatus())
                    && noTelemetryLost();
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
        // Windows of the bad rollouts and the healthy one; the outage shows in the global windows.
        List<String> narrated = new ArrayList<>();
        BAD_ROLLOUTS.forEach(bad -> narrated.add(bad.flag()));
        narrated.add(HEALTHY_FLAG);
        try (Timeline timeline = new Timeline(kafkaBootstrap, narrator.listener(w, FLAGS, narrated))) {
            narrator.step(
                    "setup",
                    "flags " + BAD_FLAG + " (" + INTERNAL_USERS.size() + " internal users only), " + HEALTHY_FLAG
                            + " (" + STAFF.size() + " staff only), " + SLOW_FLAG + ", " + PENDING_FLAG + " and "
                            + SILENT_FLAG
                            + " (10 %), " + OUTAGE_FLAG + " (20 %), created with only their rollout (the default guard"
                            + " policy: KILL); rules: the default pack's " + REGRESSION_RULE + ", and " + OUTAGE_RULE
                            + " for the short outage");
            narrator.step(
                    "plan",
                    "the first four walk "
                            + PLAN.stream().map(Narrator::describe).collect(Collectors.joining(" -> "))
                            + " by themselves: the promoter takes each auto step once the soak is over, both cohorts"
                            + " have their clients, no alert is pending or firing and the guard calls the stage"
                            + " HEALTHY");
            setUpFlags();
            setUpRules();

            HealthModel health = new HealthModel(0.01, 800);
            // Noise on the healthy rollout: a little slower, a few more failures, inside the guard's tolerance (20 %).
            health.set(new HealthModel.Condition("noise", HEALTHY_FLAG, "on", HealthModel.Kind.ANY, 0.001, 30));
            // The new telemetry pipeline of the silent rollout loses every event of its treated clients.
            health.set(HealthModel.Condition.silence("silent", SILENT_FLAG, "on"));
            var simulatorSettings = new TelemetrySimulator.Settings(
                    settings.clients(),
                    settings.eventsPerSecond(),
                    0.4,
                    0.01,
                    Duration.ofSeconds(2),
                    Set.copyOf(FLAGS),
                    Stream.concat(INTERNAL_USERS.stream(), STAFF.stream()).toList(),
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
                        "%,d virtual clients, %.0f events/s; %d internal users see %s, %d staff see %s; the %,d treated clients of %s"
                                        .formatted(
                                                settings.clients(),
                                                settings.eventsPerSecond(),
                                                simulator.clientsServed(BAD_FLAG, "on"),
                                                BAD_FLAG,
                                                simulator.clientsServed(HEALTHY_FLAG, "on"),
                                                HEALTHY_FLAG,
                                                simulator.clientsServed(SILENT_FLAG, "on"),
                                                SILENT_FLAG)
                                + " send nothing");

                pause(w.multipliedBy(2));
                // The rollouts at 10 % since the start break one window apart (each kill's timings stay its own, and
                // the
                // run barely grows); the internal one breaks two windows after a person ramps it to 10 %.
                Map<String, Instant> breaches = new LinkedHashMap<>();
                Map<String, Integer> stagesAtBreach = new LinkedHashMap<>();
                for (BadRollout bad : BAD_ROLLOUTS) {
                    if (bad.flag().equals(BAD_FLAG)) {
                        ramp(simulator);
                        pause(w.multipliedBy(2));
                    } else if (!breaches.isEmpty()) {
                        pause(w);
                    }
                    stagesAtBreach.put(
                            bad.flag(),
                            check(api.flag(bad.flag()), "read " + bad.flag())
                                    .path("currentStage")
                                    .asInt(-1));
                    breaches.put(bad.flag(), Instant.now());
                    health.set(bad.regression());
                    narrator.step("breach", bad.story());
                }

                Map<String, RollbackActionEvent> kills = new LinkedHashMap<>();
                for (BadRollout bad : BAD_ROLLOUTS) {
                    RollbackActionEvent flip = awaitRollback(
                            timeline, bad.flag(), breaches.get(bad.flag()).plus(settings.flipTimeout()));
                    if (flip != null) {
                        kills.put(bad.flag(), flip);
                    }
                }
                simulator.refreshAll(); // what the SSE change stream tells real clients to do
                BAD_ROLLOUTS.forEach(bad -> health.clear(bad.regression().name()));
                narrator.step(
                        "after",
                        BAD_ROLLOUTS.stream()
                                .map(bad -> "%,d clients still served %s=on"
                                        .formatted(simulator.clientsServed(bad.flag(), "on"), bad.flag()))
                                .collect(Collectors.joining(", ")));

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

                JsonNode silentGuard = awaitGuard(SILENT_FLAG, w.multipliedBy(2));
                narrator.guard(SILENT_FLAG, silentGuard);

                Instant walked = awaitWalk(timeline, started.plus(settings.walkTimeout()));
                JsonNode healthyAssessment = assessment(HEALTHY_FLAG);
                if (walked == null) {
                    narrator.step(
                            "timeout",
                            HEALTHY_FLAG + " not at its last stage "
                                    + settings.walkTimeout().toSeconds() + " s after the start; the promoter says: "
                                    + Narrator.assessment(healthyAssessment));
                } else {
                    narrator.step(
                            "walked",
                            HEALTHY_FLAG + " reached '" + PLAN.get(LAST_STAGE).name() + "' by itself, "
                                    + Duration.between(started, walked).toSeconds() + " s after the start");
                }

                pause(w.multipliedBy(2));
                Instant countedTo = floor(Instant.now(), w);
                // On a busy machine windows close half a minute late or more; the count waits for the last one.
                waitFor(
                        () -> timeline.globalWindows(countedTo.minus(w), countedTo)
                                        .size()
                                == 1,
                        w.multipliedBy(12));
                simulator.stop();

                long counted = timeline.globalWindows(countedFrom, countedTo).stream()
                        .mapToLong(WindowMetricsEvent::getEventCount)
                        .sum();
                long sent = simulator.ackedBetween(countedFrom, countedTo);
                // An event that reached its stream task after its window closed is dead-lettered then, which may be
                // after the last window was emitted.
                waitFor(() -> counted + timeline.lateBetween(countedFrom, countedTo) >= sent, w.multipliedBy(2));
                long late = timeline.lateBetween(countedFrom, countedTo);
                Map<String, JsonNode> flags = new LinkedHashMap<>();
                FLAGS.forEach(key -> flags.put(key, api.flag(key).body()));
                Result result = new Result(
                        started,
                        breaches,
                        kills,
                        stagesAtBreach,
                        timeline.rollbacks(),
                        timeline.rollouts(),
                        walked,
                        healthyAssessment,
                        timeline.alerts(),
                        flags,
                        silentGuard,
                        sent,
                        counted,
                        late,
                        countedFrom,
                        countedTo,
                        simulator.duplicatesAcked());
                narrator.summary(result);
                return result;
            }
        }
    }

    /**
     * The bad rollouts and the healthy one are on {@link #PLAN}, in an auto stage: the bad ones must be switched off,
     * never promoted; the healthy one must walk to 100 % by itself. The outage and the silent rollout have their share
     * set by hand.
     */
    private void setUpFlags() {
        upsertFlag(allow(
                onPlan(flag(BAD_FLAG, "Record edits while offline and replay them on reconnect", 0), 0),
                INTERNAL_USERS));
        upsertFlag(onPlan(flag(SLOW_FLAG, "Sync only the rows changed since the last sync", 10), 1));
        upsertFlag(onPlan(flag(PENDING_FLAG, "Hold local writes and send them in batches", 10), 1));
        upsertFlag(allow(onPlan(flag(HEALTHY_FLAG, "Compress sync payloads", 0), 0), STAFF));
        upsertFlag(flag(OUTAGE_FLAG, "Batch small uploads into one request", 20));
        upsertFlag(flag(SILENT_FLAG, "Send telemetry through the new pipeline", 10));
    }

    private static ObjectNode onPlan(ObjectNode flag, int stage) {
        ArrayNode stages = flag.putArray("stages");
        PLAN.forEach(s -> stages.add(s.toJson()));
        flag.put("currentStage", stage);
        return flag;
    }

    private static ObjectNode allow(ObjectNode flag, List<String> users) {
        users.forEach(flag.withArray("allowList")::add);
        return flag;
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

    /**
     * Creates the flag, or brings an existing one (from an earlier run) back to this state. An existing flag is first
     * switched off: that ends its earlier rollout for the guard, which resolves any guard alert still firing on it (a
     * window of the earlier run that closed after the kill can leave one), so the new rollout starts from a clean
     * alert state. A flag on a plan leaves it and enters it again, so its stage's soak and the promoter's clock start
     * now.
     */
    private void upsertFlag(ObjectNode desired) {
        String key = desired.path("key").asText();
        RollguardApi.Answer existing = api.flag(key);
        if (existing.status() == 404) {
            check(api.createFlag(desired), "create " + key);
            return;
        }
        check(existing, "read " + key);
        if (existing.body().path("enabled").asBoolean()) {
            ObjectNode off = RollguardApi.JSON.createObjectNode().put("enabled", false);
            check(api.updateFlag(key, off, existing.header("ETag")), "switch off " + key);
            existing = api.flag(key);
        }
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
        if (changes.has("stages") && !existing.body().path("currentStage").isNull()) {
            // Off its plan first: entering the plan again starts the stage afresh (its soak and the promoter's
            // deadline count from now), which staying in the same stage would not.
            ObjectNode offPlan = RollguardApi.JSON.createObjectNode();
            offPlan.putArray("stages");
            offPlan.putNull("currentStage");
            check(api.updateFlag(key, offPlan, existing.header("ETag")), "take " + key + " off its plan");
            existing = api.flag(key);
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
                            Map.of()),
                    "update rule " + id);
        } else {
            check(created, "create rule " + id);
        }
    }

    /**
     * Waits until the promoter has taken {@link #HEALTHY_FLAG} to its last stage (an applied PROMOTE into it on
     * {@code rollouts}); null if it has not by {@code deadline}.
     */
    private Instant awaitWalk(Timeline timeline, Instant deadline) throws InterruptedException {
        Instant nextLook = Instant.now();
        while (true) {
            List<RolloutActionEvent> last = timeline.rollouts(r -> HEALTHY_FLAG.equals(r.getFlagKey())
                    && r.getAction() == RolloutAction.PROMOTE
                    && r.getOutcome() == RolloutOutcome.APPLIED
                    && r.getToStage() != null
                    && r.getToStage() == LAST_STAGE);
            if (!last.isEmpty()) {
                RolloutActionEvent step = last.get(0);
                return step.getFlagChangedAt() != null ? step.getFlagChangedAt() : step.getDecidedAt();
            }
            if (!Instant.now().isBefore(deadline)) {
                return null;
            }
            if (!Instant.now().isBefore(nextLook)) {
                narrator.step("promoter", HEALTHY_FLAG + ": " + Narrator.assessment(assessment(HEALTHY_FLAG)));
                nextLook = Instant.now().plus(WALK_LOOK);
            }
            Thread.sleep(200);
        }
    }

    /** The promoter's latest assessment of a flag ({@code GET /api/promotions?flag=KEY}), or null. */
    private JsonNode assessment(String flagKey) {
        RollguardApi.Answer answer = api.promotions(flagKey);
        if (answer.status() != 200 || answer.body() == null) {
            return null;
        }
        for (JsonNode a : answer.body()) {
            if (flagKey.equals(a.path("flagKey").asText())) {
                return a;
            }
        }
        return null;
    }

    private RollbackActionEvent awaitRollback(Timeline timeline, String flagKey, Instant deadline)
            throws InterruptedException {
        while (Instant.now().isBefore(deadline)) {
            List<RollbackActionEvent> applied = timeline.rollbacks(r -> flagKey.equals(r.getFlagKey())
                    && (r.getOutcome() == RollbackOutcome.APPLIED || r.getOutcome() == RollbackOutcome.DRY_RUN));
            if (!applied.isEmpty()) {
                return applied.get(0);
            }
            Thread.sleep(100);
        }
        narrator.step(
                "timeout",
                "no rollback of " + flagKey + " within "
                        + settings.flipTimeout().toSeconds() + " s");
        return null;
    }

    /**
     * The guard's verdict on a flag ({@code GET /api/guard?flag=KEY}), once it has one; null if none came within
     * {@code timeout}.
     */
    private JsonNode awaitGuard(String flagKey, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            RollguardApi.Answer answer = api.send(
                    "GET",
                    api.endpoints().alertService() + "/api/guard?flag=" + flagKey,
                    api.endpoints().adminToken(),
                    null,
                    Map.of());
            if (answer.status() == 200 && answer.body() != null) {
                for (JsonNode verdict : answer.body()) {
                    if (flagKey.equals(verdict.path("flagKey").asText())) {
                        return verdict;
                    }
                }
            }
            if (System.nanoTime() >= deadline) {
                return null;
            }
            Thread.sleep(500);
        }
    }

    private static void waitFor(BooleanSupplier condition, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
    }

    /** A person promotes {@link #BAD_FLAG} from its internal stage, before the soak is over: the team is confident. */
    private void ramp(TelemetrySimulator simulator) {
        JsonNode advanced =
                check(api.promote(BAD_FLAG, "internal testing passed", true, "demo"), "promote " + BAD_FLAG);
        simulator.refreshAll();
        narrator.step(
                "ramp",
                "%s -> stage %s, %s %% of users; %,d clients now treated"
                        .formatted(
                                BAD_FLAG,
                                advanced.path("stages")
                                        .path(advanced.path("currentStage").asInt())
                                        .path("name")
                                        .asText(),
                                advanced.path("rolloutPercentage").asText(),
                                simulator.clientsServed(BAD_FLAG, "on")));
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
