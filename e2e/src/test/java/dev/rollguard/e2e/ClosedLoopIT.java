package dev.rollguard.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.cli.RollguardApi;
import dev.rollguard.cli.RollguardCli;
import dev.rollguard.infra.ServiceStack;
import dev.rollguard.infra.SharedInfra;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.event.AlertStatus;
import dev.rollguard.schemas.event.RollbackActionEvent;
import dev.rollguard.schemas.event.RollbackOutcome;
import dev.rollguard.schemas.event.RolloutAction;
import dev.rollguard.schemas.event.RolloutActionEvent;
import dev.rollguard.schemas.event.RolloutOutcome;
import dev.rollguard.simulator.demo.ClosedLoopScenario;
import dev.rollguard.simulator.demo.Narrator;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The product, end to end: the four packaged services on a real broker and database, thousands of simulated clients,
 * three rollouts that go bad on three kinds of metric (failure rate, sync latency, pending mutations), a healthy
 * rollout, an outage and a rollout whose treated clients send nothing. Each bad flag must be switched off by the
 * default guard pack, naming its metric, within {@link ClosedLoopScenario.Settings#flipBound()} of its breach (three
 * windows, grace, the rule's {@code for} and 5 s); nothing else may be rolled back; the silent rollout must be shown
 * as NO_DATA; and every event sent must be counted exactly once. Meanwhile the healthy rollout must walk its plan,
 * internal -> 10 % -> 50 % -> 100 %, by itself: each step a PROMOTE of the rollback-service's promoter on the guard's
 * verdict of the stage, every guarded metric shown within the stage's tolerance, with its minimum clients, audited
 * under the service token; and no bad rollout may ever be promoted.
 */
class ClosedLoopIT {

    private static ServiceStack stack;
    private static RollguardApi api;

    @BeforeAll
    static void startStack() throws IOException {
        String bootstrap = SharedInfra.kafkaBootstrap();
        Map<String, List<String>> properties = new java.util.HashMap<>();
        for (String service : List.of("flag-service", "metrics-ingest", "alert-service", "rollback-service")) {
            properties.put(service, demoProperties(service));
        }
        properties.get("metrics-ingest").add("kafka-streams.state.dir=" + SharedInfra.freshDirectory("e2e-streams"));
        stack = ServiceStack.start(properties);
        api = new RollguardApi(new RollguardApi.Endpoints(
                stack.url("flag-service"),
                stack.url("metrics-ingest"),
                stack.url("alert-service"),
                stack.url("rollback-service"),
                ServiceStack.ADMIN_TOKEN,
                ServiceStack.CLIENT_TOKEN,
                ServiceStack.PRODUCER_TOKEN));
        assertThat(bootstrap).isNotBlank();
    }

    private static List<String> demoProperties(String service) throws IOException {
        Properties props = new Properties();
        try (InputStream in = ClosedLoopScenario.class.getResourceAsStream("/demo-stack/" + service + ".properties")) {
            props.load(in);
        }
        List<String> result = new ArrayList<>();
        props.forEach((k, v) -> result.add(k + "=" + v));
        return result;
    }

    @AfterAll
    static void stopStack() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void eachBadRolloutIsSwitchedOffOnItsMetricAndNothingElseIs() throws Exception {
        ClosedLoopScenario.Settings settings = new ClosedLoopScenario.Settings(
                Duration.ofSeconds(5),
                Duration.ofSeconds(5),
                3000,
                1000,
                Duration.ofSeconds(10),
                Duration.ofSeconds(90),
                Duration.ofSeconds(420));
        List<Instant> refetchEvents = new CopyOnWriteArrayList<>();
        Thread sse = subscribeToFlagChanges(refetchEvents);

        ClosedLoopScenario.Result result =
                new ClosedLoopScenario(api, SharedInfra.kafkaBootstrap(), settings, new Narrator(System.out)).run();

        // Each bad flag is off, through its default guard policy, within the documented bound, and the evidence that
        // travels with the action names the metric that regressed.
        for (ClosedLoopScenario.BadRollout bad : ClosedLoopScenario.BAD_ROLLOUTS) {
            RollbackActionEvent kill = result.kills().get(bad.flag());
            assertThat(kill).as("rollback of %s", bad.flag()).isNotNull();
            assertThat(kill.getOutcome()).isEqualTo(RollbackOutcome.APPLIED);
            assertThat(result.killed(bad.flag())).as("%s killed", bad.flag()).isTrue();
            assertThat(Duration.between(result.breaches().get(bad.flag()), kill.getFlagChangedAt()))
                    .as("breach to flag off of %s", bad.flag())
                    .isLessThan(settings.flipBound());
            assertThat(kill.getRuleId()).isEqualTo(ClosedLoopScenario.REGRESSION_RULE);
            assertThat(kill.getComparison()).isNotNull();
            assertThat(kill.getReason())
                    .as("evidence of %s", bad.flag())
                    .contains("REGRESSION (CRITICAL): ")
                    .contains(bad.metricLabel());
            assertThat(kill.getComparison().getTreatmentValue())
                    .isGreaterThan(kill.getComparison().getControlValue());
            assertThat(kill.getComparison().getTreatmentSamples()).isPositive();
            assertThat(kill.getComparison().getControlSamples()).isPositive();
            assertThat(kill.getFirstBreachAt()).isNotNull();
            assertThat(kill.getAlertFiredAt()).isNotNull();
            assertThat(kill.getVisibleAt()).isNotNull();
        }
        RollbackActionEvent flip = result.kills().get(ClosedLoopScenario.BAD_FLAG);

        // Exactly one flip and one audit entry for it, made by the rollback-service's token.
        assertThat(result.rollbacks().stream()
                        .filter(r -> ClosedLoopScenario.BAD_FLAG.equals(r.getFlagKey()))
                        .filter(r -> r.getOutcome() == RollbackOutcome.APPLIED))
                .hasSize(1);
        JsonNode audit = api.audit(ClosedLoopScenario.BAD_FLAG).orThrow("audit").body();
        List<JsonNode> kills = new ArrayList<>();
        (audit.isArray() ? audit : audit.path("items")).forEach(e -> {
            if (e.path("action").asText().toUpperCase().contains("KILL")
                    && !e.path("action").asText().toUpperCase().contains("UNKILL")
                    && e.hasNonNull("idempotencyKey")) {
                kills.add(e);
            }
        });
        assertThat(kills).hasSize(1);
        assertThat(kills.get(0).path("reason").asText()).isNotBlank();

        // The healthy rollout, the outage and the silent rollout were left alone; the outage paged without naming a
        // flag; the guard shows the silent rollout as NO_DATA.
        for (String key : List.of(
                ClosedLoopScenario.HEALTHY_FLAG, ClosedLoopScenario.OUTAGE_FLAG, ClosedLoopScenario.SILENT_FLAG)) {
            assertThat(result.killed(key)).as("%s killed", key).isFalse();
            assertThat(ClosedLoopScenario.criticalFiring(result.alerts(), key))
                    .as("critical alerts on %s", key)
                    .isEmpty();
        }
        assertThat(result.rollbacks())
                .filteredOn(r -> r.getOutcome() == RollbackOutcome.APPLIED)
                .extracting(RollbackActionEvent::getFlagKey)
                .containsOnly(ClosedLoopScenario.BAD_ROLLOUTS.stream()
                        .map(ClosedLoopScenario.BadRollout::flag)
                        .toArray(String[]::new));
        List<AlertEvent> outageAlerts = result.alerts().stream()
                .filter(a ->
                        a.getRuleId().equals(ClosedLoopScenario.OUTAGE_RULE) && a.getStatus() == AlertStatus.FIRING)
                .toList();
        assertThat(outageAlerts).isNotEmpty().allSatisfy(a -> assertThat(a.getFlagKey())
                .isNull());
        assertThat(result.silentGuardStatus()).isEqualTo("NO_DATA");
        assertThat(result.silentGuard().path("summary").asText()).startsWith("NO_DATA");
        assertThat(cli("guard", "--flag", ClosedLoopScenario.SILENT_FLAG)).contains("NO_DATA");

        // Clients see the flag off through OFREP, and the change stream told them to refetch.
        JsonNode evaluation = api.evaluate(ClosedLoopScenario.BAD_FLAG, ClosedLoopScenario.INTERNAL_USERS.get(0))
                .orThrow("evaluate")
                .body();
        assertThat(evaluation.path("reason").asText()).isEqualTo("DISABLED");
        assertThat(evaluation.path("value").asBoolean()).isFalse();
        assertThat(refetchEvents).anySatisfy(at -> assertThat(at)
                .isAfterOrEqualTo(flip.getFlagChangedAt().minusMillis(50)));
        sse.interrupt();

        // The healthy flag walks its whole plan by itself: each step an applied PROMOTE on the guard's verdict of that
        // very stage, after its soak, with at least its minimum clients in each cohort and every guarded metric with
        // data shown no worse than control beyond the stage's tolerance.
        String healthy = ClosedLoopScenario.HEALTHY_FLAG;
        List<RolloutActionEvent> walk = result.promotions(healthy);
        assertThat(result.walked())
                .as("%s reached its last stage; the promoter says %s", healthy, result.healthyAssessment())
                .isNotNull();
        assertThat(walk).extracting(RolloutActionEvent::getFromStage).containsExactly(0, 1, 2);
        assertThat(result.stage(healthy)).isEqualTo(ClosedLoopScenario.LAST_STAGE);
        assertThat(result.flag(healthy).path("rolloutPercentage").asDouble()).isEqualTo(100.0);
        assertThat(walk).allSatisfy(step -> {
            ClosedLoopScenario.Stage stage = ClosedLoopScenario.PLAN.get(step.getFromStage());
            assertThat(step.getOutcome()).isEqualTo(RolloutOutcome.APPLIED);
            assertThat(step.getToStage()).isEqualTo(step.getFromStage() + 1);
            assertThat(step.getVerdict()).isIn("HEALTHY", "INCONCLUSIVE");
            assertThat(step.getConfidence()).isEqualTo(0.99);
            assertThat(step.getTolerancePercent()).isEqualTo(stage.tolerancePercent());
            assertThat(step.getMinClientsPerCohort()).isEqualTo(stage.minClientsPerCohort());
            assertThat(step.getTreatedClients()).isGreaterThanOrEqualTo(stage.minClientsPerCohort());
            assertThat(step.getControlClients()).isGreaterThanOrEqualTo(stage.minClientsPerCohort());
            assertThat(step.getSecondsInStage()).isGreaterThanOrEqualTo(stage.minSoakSeconds());
            assertThat(step.getMetrics())
                    .filteredOn(m -> m.getTreatedClients() > 0 || m.getControlClients() > 0)
                    .isNotEmpty()
                    .allSatisfy(m -> assertThat(m.getShownWithin())
                            .as("%s of %s", m.getMetric(), step.getFromStageName())
                            .isNotNull()
                            .isLessThanOrEqualTo(stage.tolerancePercent() / 100.0 + 1e-9));
            assertThat(step.getReason())
                    .startsWith("Automatic PROMOTE by Rollguard")
                    .contains("no guarded metric more than " + stage.tolerancePercent() + " % worse than control");
        });
        // The rollback-service serves the same steps, and the flag's audit log has them under the service token.
        JsonNode served = api.rollouts(healthy, null).orThrow("rollouts").body();
        List<String> servedPromotions = new ArrayList<>();
        served.forEach(step -> {
            if ("PROMOTE".equals(step.path("action").asText())
                    && "APPLIED".equals(step.path("outcome").asText())) {
                servedPromotions.add(step.path("id").asText());
            }
        });
        assertThat(servedPromotions)
                .containsExactlyInAnyOrderElementsOf(
                        walk.stream().map(RolloutActionEvent::getActionId).toList());
        List<JsonNode> promoted = entries(api.audit(healthy).orThrow("audit").body(), "PROMOTE");
        assertThat(promoted).hasSize(walk.size()).allSatisfy(e -> {
            assertThat(e.path("tokenName").asText()).isEqualTo("bootstrap-service");
            assertThat(e.path("actor").asText()).isEqualTo("bootstrap-service");
            assertThat(e.path("reason").asText()).startsWith("Automatic PROMOTE by Rollguard");
        });
        assertThat(promoted)
                .extracting(e -> e.path("toStage").asInt())
                .containsExactlyInAnyOrderElementsOf(
                        walk.stream().map(RolloutActionEvent::getToStage).toList());

        // No bad rollout ever advanced: no PROMOTE step on rollouts nor at the rollback-service, and each is still in
        // the stage it broke in, where the guard switched it off.
        for (ClosedLoopScenario.BadRollout bad : ClosedLoopScenario.BAD_ROLLOUTS) {
            assertThat(result.promotions(bad.flag()))
                    .as("promotions of %s", bad.flag())
                    .isEmpty();
            assertThat(result.stage(bad.flag()))
                    .as("stage of %s", bad.flag())
                    .isEqualTo(result.stagesAtBreach().get(bad.flag()))
                    .isEqualTo(1);
            api.rollouts(bad.flag(), null).orThrow("rollouts").body().forEach(step -> assertThat(
                            step.path("action").asText())
                    .as("step of %s", bad.flag())
                    .isNotEqualTo(RolloutAction.PROMOTE.name()));
            assertThat(entries(api.audit(bad.flag()).orThrow("audit").body(), "PROMOTE"))
                    .as("automatic PROMOTE audit rows of %s", bad.flag())
                    .noneMatch(e -> e.path("tokenName").asText().equals("bootstrap-service"));
        }
        assertThat(result.asExpected()).isTrue();

        // No telemetry lost or double counted: every event sent is in the windows once, or on telemetry.dlq as late
        // (it reached metrics-ingest after its window closed, as on a machine too busy to keep within the grace).
        assertThat(result.eventsSent()).isPositive();
        assertThat(result.eventsCounted() + result.eventsLate()).isEqualTo(result.eventsSent());

        // The operator CLI against the running stack.
        String flags = cli("flags");
        assertThat(flags).contains(ClosedLoopScenario.BAD_FLAG).contains("KILLED");
        assertThat(cli("rollbacks", "--flag", ClosedLoopScenario.BAD_FLAG)).contains("APPLIED");
        assertThat(cli("audit", "--flag", ClosedLoopScenario.BAD_FLAG)).contains(ClosedLoopScenario.BAD_FLAG);
        assertThat(RollguardApi.JSON
                        .readTree(cli("-o", "json", "flag", ClosedLoopScenario.BAD_FLAG))
                        .path("killed")
                        .asBoolean())
                .isTrue();
        var err = new ByteArrayOutputStream();
        assertThat(RollguardCli.run(api, new PrintStream(err, true, StandardCharsets.UTF_8), "flag", "no-such-flag"))
                .isEqualTo(1);
        assertThat(cli("alerts", "--all"))
                .contains("Global error rate high (demo)")
                .contains("RESOLVED");
        assertThat(cli("report")).contains("HEALTH REPORT").contains("Total Syncs");

        // What the runbook tells on-call people to do, through the CLI: the global switch, re-enabling, re-ramping.
        assertThat(cli("kill-switch", "on", "--reason", "incident drill")).contains("ON");
        assertThat(api.evaluate(ClosedLoopScenario.HEALTHY_FLAG, "anyone")
                        .body()
                        .path("reason")
                        .asText())
                .isEqualTo("DISABLED");
        assertThat(cli("kill-switch", "off", "--reason", "drill over")).contains("off");
        assertThat(cli("unkill", ClosedLoopScenario.BAD_FLAG, "--reason", "fix deployed"))
                .contains("state on");
        assertThat(cli("stage", ClosedLoopScenario.BAD_FLAG, "set", "1", "--reason", "re-soak"))
                .contains("stage 1/4 internal");
        // The plan's internal stage soaks for a while: "next" waits for it, and a person may skip it on purpose.
        var refused = new ByteArrayOutputStream();
        assertThat(RollguardCli.run(
                        api,
                        new PrintStream(refused, true, StandardCharsets.UTF_8),
                        "stage",
                        ClosedLoopScenario.BAD_FLAG,
                        "next"))
                .isEqualTo(1);
        RollguardApi.Answer early = api.stage(ClosedLoopScenario.BAD_FLAG, "advance", null, "too early");
        assertThat(early.status()).isEqualTo(409);
        assertThat(early.body().path("code").asText()).isEqualTo("SOAK_NOT_ELAPSED");
        assertThat(cli(
                        "rollout",
                        "promote",
                        ClosedLoopScenario.BAD_FLAG,
                        "--skip-soak",
                        "--reason",
                        "re-soaked by hand"))
                .contains("stage 2/4");
        assertThat(cli("kill", ClosedLoopScenario.BAD_FLAG, "--reason", "by hand"))
                .contains("KILLED");
    }

    /** Audit rows whose action is {@code action}. */
    private static List<JsonNode> entries(JsonNode audit, String action) {
        List<JsonNode> rows = new ArrayList<>();
        (audit.isArray() ? audit : audit.path("items")).forEach(e -> {
            if (action.equals(e.path("action").asText())) {
                rows.add(e);
            }
        });
        return rows;
    }

    private static String cli(String... args) {
        var out = new ByteArrayOutputStream();
        int code = RollguardCli.run(api, new PrintStream(out, true, StandardCharsets.UTF_8), args);
        assertThat(code).as("exit code of %s: %s", String.join(" ", args), out).isZero();
        return out.toString(StandardCharsets.UTF_8);
    }

    private static Thread subscribeToFlagChanges(List<Instant> events) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(stack.url("flag-service") + "/ofrep/v1/events"))
                .header("Accept", "text/event-stream")
                .header("Authorization", "Bearer " + ServiceStack.CLIENT_TOKEN)
                .build();
        List<String> connected = new CopyOnWriteArrayList<>();
        Thread reader = new Thread(() -> {
            try {
                HttpResponse<InputStream> response =
                        HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofInputStream());
                try (var lines = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                    connected.add("yes");
                    for (String line; (line = lines.readLine()) != null; ) {
                        if (line.startsWith("data:") && line.contains("refetchEvaluation")) {
                            events.add(Instant.now());
                        }
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        reader.setDaemon(true);
        reader.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> !connected.isEmpty());
        return reader;
    }
}
