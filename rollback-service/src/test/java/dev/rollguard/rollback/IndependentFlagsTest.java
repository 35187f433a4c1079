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
import io.smallrye.reactive.messaging.kafka.companion.ConsumerTask;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An alert that cannot be handled for a while (the flag-service failing the change of its flag) holds back only the
 * later alerts of its own flag: a critical alert for another flag behind it on the topic still kills that flag. The
 * alerts of one flag keep their order, and an alert read again while it still waits (what a restart does: its offset
 * is not committed) changes its flag once.
 */
@QuarkusTest
@QuarkusTestResource(
        value = InfraTestResource.class,
        initArgs = @ResourceArg(name = InfraTestResource.DATABASE, value = "rollguard_rollbacks"))
@QuarkusTestResource(FakeFlagServiceResource.class)
class IndependentFlagsTest {

    /** Generous: the flag-service answers at once, so the other flag's kill takes well under a second. */
    private static final Duration PROMPTLY = Duration.ofSeconds(20);

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @InjectFakeFlagService
    FakeFlagService flagService;

    private ConsumerTask<String, RollbackActionEvent> rollbacks;
    private ConsumerTask<String, byte[]> deadLetters;
    private final List<String> failing = new ArrayList<>();

    @BeforeEach
    void readTopics() {
        rollbacks = Alerts.rollbacks();
        deadLetters = Alerts.deadLetters();
    }

    @AfterEach
    void restoreFlagService() {
        failing.forEach(flagService::acceptChanges);
        rollbacks.close();
        deadLetters.close();
    }

    private String flag() {
        String key = "flag-" + UUID.randomUUID();
        flagService.define(key, "KILL");
        return key;
    }

    private void failChanges(String flag) {
        failing.add(flag);
        flagService.failChanges(flag, 500);
    }

    private boolean published(String actionId) {
        return !Alerts.eventsOf(rollbacks, actionId).isEmpty();
    }

    private void assertExactlyOneKill(String flag, String actionId) {
        assertThat(flagService.isKilled(flag)).isTrue();
        assertThat(flagService.audit(flag)).singleElement().satisfies(entry -> {
            assertThat(entry.action()).isEqualTo("kill");
            assertThat(entry.idempotencyKey()).isEqualTo(actionId);
        });
        assertThat(Alerts.eventsOf(rollbacks, actionId))
                .singleElement()
                .extracting(RollbackActionEvent::getOutcome)
                .isEqualTo(RollbackOutcome.APPLIED);
        assertThat(Api.doneOutcome(actionId)).isEqualTo("APPLIED");
    }

    private void assertNotDeadLettered(AlertEvent... alerts) {
        Set<String> keys =
                Set.of(Arrays.stream(alerts).map(AlertEvent::getFingerprint).toArray(String[]::new));
        assertThat(deadLetters.getRecords()).noneMatch(r -> keys.contains(r.key()));
    }

    @Test
    void anAlertWaitingForItsFlagDoesNotHoldTheKillOfAnotherFlag() {
        String stuck = flag();
        String other = flag();
        failChanges(stuck);
        AlertEvent stuckAlert = Alerts.critical(stuck).build();
        AlertEvent otherAlert = Alerts.critical(other).build();
        String stuckId = Alerts.actionId(stuckAlert);
        String otherId = Alerts.actionId(otherAlert);

        Alerts.send(stuckAlert, otherAlert);

        await().atMost(PROMPTLY).until(() -> published(otherId));
        assertExactlyOneKill(other, otherId);
        // The first alert still waits: its kill was tried and failed, nothing is recorded as done.
        assertThat(flagService.isKilled(stuck)).isFalse();
        assertThat(flagService.writes(stuck)).isNotEmpty();
        assertThat(Api.rollback(stuckId).getString("state")).isEqualTo("PENDING");
        assertThat(Api.metric("rollguard_rollback_alerts_in_flight")).isGreaterThanOrEqualTo(1);

        flagService.acceptChanges(stuck);
        await().atMost(TIMEOUT).until(() -> published(stuckId));
        assertExactlyOneKill(stuck, stuckId);
        assertNotDeadLettered(stuckAlert, otherAlert);
    }

    @Test
    void alertsOfOneFlagAreHandledInTheOrderTheyWereRead() {
        String flag = flag();
        failChanges(flag);
        AlertEvent first = Alerts.critical(flag).build();
        AlertEvent second = Alerts.critical(flag).build();
        String firstId = Alerts.actionId(first);
        String secondId = Alerts.actionId(second);
        String other = flag();
        AlertEvent otherAlert = Alerts.critical(other).build();

        Alerts.send(first, second, otherAlert);
        // The alert of another flag, read after both, is done: the second alert was read and waits for the first.
        await().atMost(PROMPTLY).until(() -> published(Alerts.actionId(otherAlert)));
        await().atMost(TIMEOUT).until(() -> flagService.writes(flag).size() >= 2);
        assertThat(Api.rollback(secondId))
                .as("the second alert is not decided before the first")
                .isNull();
        assertThat(Api.metric("rollguard_rollback_alerts_waiting")).isGreaterThanOrEqualTo(1);

        flagService.acceptChanges(flag);
        await().atMost(TIMEOUT).until(() -> published(firstId) && published(secondId));
        assertExactlyOneKill(flag, firstId);
        // Decided after the first alert's kill: it finds the flag off.
        assertThat(Api.doneOutcome(secondId)).isEqualTo(RollbackOutcome.SKIPPED_ALREADY_OFF.name());
        assertThat(flagService.writes(flag))
                .allSatisfy(call -> assertThat(call.idempotencyKey()).isEqualTo(firstId));
        assertNotDeadLettered(first, second, otherAlert);
    }

    @Test
    void anAlertReadAgainWhileItStillWaitsIsNotCommittedAndChangesItsFlagOnce() {
        String flag = flag();
        failChanges(flag);
        AlertEvent alert = Alerts.critical(flag).build();
        String id = Alerts.actionId(alert);
        double duplicatesBefore = Api.metric("rollguard_rollback_alerts_duplicate_total");

        long offset = Alerts.sendAt(alert);
        await().atMost(TIMEOUT).until(() -> flagService.writes(flag).size() >= 2);
        String other = flag();
        AlertEvent otherAlert = Alerts.critical(other).build();
        long otherOffset = Alerts.sendAt(otherAlert);
        await().atMost(PROMPTLY).until(() -> published(Alerts.actionId(otherAlert)));

        // The alert behind it is finished and acknowledged, but the committed offset stays at the waiting alert: a
        // crash now reads it again (test profile: commits every 200 ms).
        await().during(Duration.ofSeconds(1))
                .atMost(Duration.ofSeconds(5))
                .until(() -> Alerts.committedOffset() <= offset);

        // What a restart does: the uncommitted alert is read again while the flag-service still fails it.
        Alerts.send(alert);
        flagService.acceptChanges(flag);

        await().atMost(TIMEOUT).until(() -> published(id));
        await().atMost(TIMEOUT)
                .until(() -> Api.metric("rollguard_rollback_alerts_duplicate_total") >= duplicatesBefore + 1);
        assertExactlyOneKill(flag, id);
        assertThat(flagService.writes(flag))
                .allSatisfy(call -> assertThat(call.idempotencyKey()).isEqualTo(id));
        // Once both readings are finished, the offsets are committed past them.
        await().atMost(TIMEOUT).until(() -> Alerts.committedOffset() > otherOffset + 1);
        assertNotDeadLettered(alert, otherAlert);
    }
}
