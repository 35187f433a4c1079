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
import dev.rollguard.schemas.event.RollbackActionEvent;
import dev.rollguard.schemas.event.RollbackOutcome;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.smallrye.reactive.messaging.kafka.companion.ConsumerTask;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * With {@code rollback-service.listener.max-in-flight} 2: a burst of alerts for one flag whose change does not go
 * through (each alert of a rule firing per variant, per metric) waits in that flag's lane without taking the places,
 * so an alert for another flag read after them is handled at once.
 */
@QuarkusTest
@TestProfile(BusyFlagTest.TwoInFlight.class)
@QuarkusTestResource(
        value = InfraTestResource.class,
        initArgs = @ResourceArg(name = InfraTestResource.DATABASE, value = "rollguard_rollbacks"))
@QuarkusTestResource(FakeFlagServiceResource.class)
class BusyFlagTest {

    /** Two alerts handled at once. */
    public static class TwoInFlight implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("rollback-service.listener.max-in-flight", "2");
        }
    }

    /** Generous: the flag-service answers the other flag at once, so its kill takes well under a second. */
    private static final Duration PROMPTLY = Duration.ofSeconds(20);

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @InjectFakeFlagService
    FakeFlagService flagService;

    private ConsumerTask<String, RollbackActionEvent> rollbacks;
    private final List<String> failing = new ArrayList<>();

    @BeforeEach
    void readRollbacks() {
        rollbacks = Alerts.rollbacks();
    }

    @AfterEach
    void restoreFlagService() {
        failing.forEach(flagService::acceptChanges);
        rollbacks.close();
    }

    private String flag() {
        String key = "flag-" + UUID.randomUUID();
        flagService.define(key, "KILL");
        return key;
    }

    private boolean published(String actionId) {
        return !Alerts.eventsOf(rollbacks, actionId).isEmpty();
    }

    @Test
    void alertsQueuedForABusyFlagDoNotHoldBackAnotherFlag() {
        String busy = flag();
        String other = flag();
        // The flag-service does not take a change of the busy flag: its first alert's kill keeps being tried.
        failing.add(busy);
        flagService.failChanges(busy, 500);
        List<AlertEvent> burst = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            burst.add(Alerts.critical(busy).build());
        }
        AlertEvent otherAlert = Alerts.critical(other).build();

        Alerts.send(burst.toArray(AlertEvent[]::new));
        Alerts.send(otherAlert);

        await().atMost(PROMPTLY).until(() -> published(Alerts.actionId(otherAlert)));
        assertThat(flagService.isKilled(other)).isTrue();
        assertThat(flagService.isKilled(busy)).isFalse();
        assertThat(Api.rollback(Alerts.actionId(burst.get(0))).getString("state"))
                .as("the busy flag's first alert still waits for the flag-service")
                .isEqualTo("PENDING");
        assertThat(Api.metric("rollguard_rollback_alerts_in_flight")).isLessThanOrEqualTo(2);
        assertThat(Api.metric("rollguard_rollback_alerts_waiting"))
                .as("the busy flag's later alerts, queued in its lane")
                .isGreaterThanOrEqualTo(3);

        flagService.acceptChanges(busy);

        await().atMost(TIMEOUT).until(() -> burst.stream().map(Alerts::actionId).allMatch(this::published));
        assertThat(Alerts.eventsOf(rollbacks, Alerts.actionId(burst.get(0))))
                .singleElement()
                .extracting(RollbackActionEvent::getOutcome)
                .isEqualTo(RollbackOutcome.APPLIED);
        for (AlertEvent later : burst.subList(1, burst.size())) {
            assertThat(Api.doneOutcome(Alerts.actionId(later))).isEqualTo("SKIPPED_ALREADY_OFF");
        }
        assertThat(flagService.audit(busy)).hasSize(1);
        await().atMost(TIMEOUT).until(() -> Api.metric("rollguard_rollback_alerts_waiting") == 0);
    }
}
