package dev.rollguard.rollback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rollguard.infra.InfraTestResource;
import dev.rollguard.rollback.testing.Alerts;
import dev.rollguard.rollback.testing.Api;
import dev.rollguard.rollback.testing.FakeFlagService;
import dev.rollguard.rollback.testing.FakeFlagServiceResource;
import dev.rollguard.rollback.testing.InjectFakeFlagService;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.event.GuardAction;
import dev.rollguard.schemas.event.RollbackActionEvent;
import dev.rollguard.schemas.event.RollbackOutcome;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.smallrye.reactive.messaging.kafka.companion.ConsumerTask;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Two variants of one weighted flag regress at once: the alert-service fires a critical alert per variant, and the
 * guard kills the flag once, recording the other variant's alert as absorbed by the kill.
 */
@QuarkusTest
@QuarkusTestResource(
        value = InfraTestResource.class,
        initArgs = @ResourceArg(name = InfraTestResource.DATABASE, value = "rollguard_rollbacks"))
@QuarkusTestResource(FakeFlagServiceResource.class)
class VariantAlertsTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    @InjectFakeFlagService
    FakeFlagService flagService;

    private static AlertEvent variantAlert(String flag, String variant) {
        AlertEvent alert = Alerts.critical(flag)
                .setRuleId("guard")
                .setRuleName("Treatment worse than control (guard)")
                .setComparator("GUARD")
                .setScopeKey("flag:" + flag + ":treatment:" + variant)
                .setVariant(variant)
                .build();
        alert.getComparison().setSummary("variant " + variant + ": REGRESSION on upload failure rate, +3 000 %");
        return alert;
    }

    @Test
    void twoVariantsRegressingTogetherKillTheFlagOnceAndBothAlertsAreRecorded() {
        String flag = "flag-" + UUID.randomUUID();
        flagService.define(flag, "KILL");
        AlertEvent green = variantAlert(flag, "green");
        AlertEvent blue = variantAlert(flag, "blue");
        Map<String, String> variantOfAction = Map.of(Alerts.actionId(green), "green", Alerts.actionId(blue), "blue");

        try (ConsumerTask<String, RollbackActionEvent> rollbacks = Alerts.rollbacks()) {
            Alerts.send(green, blue);

            await().atMost(TIMEOUT)
                    .until(() -> Api.doneOutcome(Alerts.actionId(green)) != null
                            && Api.doneOutcome(Alerts.actionId(blue)) != null);

            // One kill reached the flag-service, and its audit holds one change.
            assertThat(flagService.isKilled(flag)).isTrue();
            assertThat(flagService.writes(flag)).singleElement().satisfies(call -> assertThat(call.path())
                    .isEqualTo("/api/flags/" + flag + "/kill"));
            assertThat(flagService.audit(flag)).hasSize(1);

            // Both alerts are in the history, each with its own variant's evidence: whichever came first killed the
            // flag, the other found it off.
            JsonPath history = Api.asAdmin()
                    .queryParam("flag", flag)
                    .get("/api/rollbacks")
                    .then()
                    .statusCode(200)
                    .extract()
                    .jsonPath();
            List<Map<String, Object>> actions = history.getList("$");
            assertThat(actions).hasSize(2);
            assertThat(actions)
                    .extracting(a -> a.get("id"))
                    .containsExactlyInAnyOrderElementsOf(variantOfAction.keySet());
            assertThat(actions)
                    .extracting(a -> a.get("outcome"))
                    .containsExactlyInAnyOrder("APPLIED", "SKIPPED_ALREADY_OFF");
            assertThat(actions).allMatch(a -> "KILL".equals(a.get("action")) && "DONE".equals(a.get("state")));
            for (Map<String, Object> action : actions) {
                String variant = variantOfAction.get((String) action.get("id"));
                assertThat(action.get("scopeKey")).isEqualTo("flag:" + flag + ":treatment:" + variant);
                assertThat((String) action.get("reason")).contains("variant " + variant + ": REGRESSION");
            }
            Map<String, Object> applied = actions.stream()
                    .filter(a -> "APPLIED".equals(a.get("outcome")))
                    .findFirst()
                    .orElseThrow();
            Map<String, Object> absorbed = actions.stream()
                    .filter(a -> "SKIPPED_ALREADY_OFF".equals(a.get("outcome")))
                    .findFirst()
                    .orElseThrow();
            assertThat((String) absorbed.get("reason")).startsWith("Flag is already killed");
            assertThat(flagService.audit(flag).get(0).idempotencyKey()).isEqualTo(applied.get("id"));

            // Each action is published once on the rollbacks topic.
            await().atMost(TIMEOUT).untilAsserted(() -> {
                for (String id : variantOfAction.keySet()) {
                    assertThat(Alerts.eventsOf(rollbacks, id)).hasSize(1);
                }
            });
            assertThat(Alerts.eventsOf(rollbacks, (String) applied.get("id"))
                            .get(0)
                            .getOutcome())
                    .isEqualTo(RollbackOutcome.APPLIED);
            assertThat(Alerts.eventsOf(rollbacks, (String) absorbed.get("id"))
                            .get(0)
                            .getAction())
                    .isEqualTo(GuardAction.KILL);
            assertThat(Api.metric(
                            "rollguard_rollback_actions_total",
                            "flag=\"" + flag + "\"",
                            "action=\"KILL\"",
                            "outcome=\"APPLIED\""))
                    .isEqualTo(1.0);
        }
    }
}
