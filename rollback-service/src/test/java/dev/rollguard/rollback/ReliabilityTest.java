package dev.rollguard.rollback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rollguard.infra.InfraTestResource;
import dev.rollguard.rollback.domain.Decision;
import dev.rollguard.rollback.mapping.RollbackMapper;
import dev.rollguard.rollback.repository.RollbackRepository;
import dev.rollguard.rollback.testing.Alerts;
import dev.rollguard.rollback.testing.Api;
import dev.rollguard.rollback.testing.Broker;
import dev.rollguard.rollback.testing.FakeFlagService;
import dev.rollguard.rollback.testing.FakeFlagService.Call;
import dev.rollguard.rollback.testing.FakeFlagServiceResource;
import dev.rollguard.rollback.testing.InjectFakeFlagService;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.event.GuardAction;
import dev.rollguard.schemas.event.RollbackActionEvent;
import dev.rollguard.schemas.event.RollbackOutcome;
import dev.rollguard.schemas.serde.AvroCodec;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.reactive.messaging.kafka.companion.ConsumerTask;
import io.smallrye.reactive.messaging.kafka.companion.KafkaCompanion;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Each case ends with exactly one flip, one audit entry and one RollbackActionEvent per alert firing, and no alert
 * lost: redelivery, a crash between the flip and the commit, a lost answer, the flag-service down, bad records.
 */
@QuarkusTest
@QuarkusTestResource(
        value = InfraTestResource.class,
        initArgs = @ResourceArg(name = InfraTestResource.DATABASE, value = "rollguard_rollbacks"))
@QuarkusTestResource(FakeFlagServiceResource.class)
class ReliabilityTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @InjectFakeFlagService
    FakeFlagService flagService;

    @Inject
    RollbackRepository repository;

    private ConsumerTask<String, RollbackActionEvent> rollbacks;

    @BeforeEach
    void readRollbacks() {
        rollbacks = Alerts.rollbacks();
    }

    @AfterEach
    void restoreFlagService() {
        rollbacks.close();
        flagService.setUnavailable(false);
        flagService.restart();
    }

    private static String flagKey() {
        return "flag-" + UUID.randomUUID();
    }

    private void awaitDone(String actionId) {
        await().atMost(TIMEOUT)
                .until(() -> !Alerts.eventsOf(rollbacks, actionId).isEmpty());
    }

    /** Sends an alert for a fresh flag and waits for it: every record sent before it has been handled too. */
    private void awaitEverythingBeforeHandled() {
        String sentinel = flagKey();
        flagService.define(sentinel, "KILL");
        AlertEvent alert = Alerts.critical(sentinel).build();
        Alerts.send(alert);
        awaitDone(Alerts.actionId(alert));
    }

    private void assertExactlyOneKill(String flag, String actionId) {
        assertThat(flagService.isKilled(flag)).isTrue();
        assertThat(flagService.audit(flag)).singleElement().satisfies(entry -> {
            assertThat(entry.action()).isEqualTo("kill");
            assertThat(entry.idempotencyKey()).isEqualTo(actionId);
        });
        assertThat(flagService.writes(flag))
                .allSatisfy(call -> assertThat(call.idempotencyKey()).isEqualTo(actionId));
        assertThat(Alerts.eventsOf(rollbacks, actionId))
                .singleElement()
                .extracting(RollbackActionEvent::getOutcome)
                .isEqualTo(RollbackOutcome.APPLIED);
        assertThat(Api.doneOutcome(actionId)).isEqualTo("APPLIED");
    }

    @Test
    void duplicateAlertsFlipOnce() {
        String flag = flagKey();
        flagService.define(flag, "KILL");
        AlertEvent alert = Alerts.critical(flag).build();
        String id = Alerts.actionId(alert);

        Alerts.send(alert, alert, alert);
        awaitDone(id);
        awaitEverythingBeforeHandled();

        assertExactlyOneKill(flag, id);
        assertThat(flagService.writes(flag)).hasSize(1);
        assertThat(Api.metric("rollguard_rollback_alerts_duplicate_total")).isGreaterThanOrEqualTo(2);
    }

    @Test
    void alertReadAgainAfterACrashBetweenFlipAndCommitFlipsOnce() {
        String flag = flagKey();
        flagService.define(flag, "KILL");
        AlertEvent alert = Alerts.critical(flag).build();
        String id = Alerts.actionId(alert);
        String reason = "Automatic KILL by Rollguard.";
        // The state a crash leaves behind: the action stored as pending, the flag-service already applied the kill
        // under the idempotency key, the offset of the alert not committed.
        repository
                .insert(
                        RollbackMapper.newRecord(
                                alert,
                                id,
                                flag,
                                new Decision(GuardAction.KILL, RollbackOutcome.APPLIED, false, reason),
                                1L,
                                Instant.now()),
                        null)
                .await()
                .atMost(Duration.ofSeconds(5));
        flagService.killAsIfCalled(flag, id, reason);

        // After the restart the consumer reads the uncommitted alert again.
        Alerts.send(alert);
        awaitDone(id);

        assertExactlyOneKill(flag, id);
        assertThat(flagService.writes(flag))
                .singleElement()
                .extracting(Call::idempotencyKey)
                .isEqualTo(id);
        assertThat(Api.metric("rollguard_rollback_alerts_resumed_total")).isGreaterThanOrEqualTo(1);
    }

    @Test
    void alertReadAgainAfterItWasCompletelyHandledChangesNothing() {
        String flag = flagKey();
        flagService.define(flag, "KILL");
        AlertEvent alert = Alerts.critical(flag).build();
        String id = Alerts.actionId(alert);
        Alerts.send(alert);
        awaitDone(id);

        // a crash after the event was published but before the offset commit: the same record comes again
        Alerts.send(alert);
        awaitEverythingBeforeHandled();

        assertExactlyOneKill(flag, id);
        assertThat(flagService.writes(flag)).hasSize(1);
    }

    @Test
    void lostAnswerOfAnAppliedKillIsRetriedWithTheSameKey() {
        String flag = flagKey();
        flagService.define(flag, "KILL");
        flagService.loseNextAnswer(flag);
        AlertEvent alert = Alerts.critical(flag).build();
        String id = Alerts.actionId(alert);

        Alerts.send(alert);
        awaitDone(id);

        assertExactlyOneKill(flag, id);
        assertThat(flagService.writes(flag)).hasSizeGreaterThanOrEqualTo(2);
    }

    @Test
    void a404ThatIsNotTheFlagServicesFlagNotFoundIsRetriedNotTakenForAMissingFlag() {
        // A wrong ROLLBACK_SERVICE_FLAG_SERVICE_URL (an ingress path, a proxy) answers 404 to everything: taken for
        // "no such flag", every kill was recorded SKIPPED_NO_FLAG and nothing was switched off, without a page.
        String flag = flagKey();
        flagService.define(flag, "KILL");
        AlertEvent alert = Alerts.critical(flag).build();
        String id = Alerts.actionId(alert);
        flagService.setMisrouted(true);
        try {
            Alerts.send(alert);
            await().atMost(TIMEOUT).until(() -> flagService.calls(flag).size() >= 3);
            assertThat(Api.rollback(id)).as("nothing decided while misrouted").isNull();
        } finally {
            flagService.setMisrouted(false);
        }

        awaitDone(id);
        assertExactlyOneKill(flag, id);
    }

    @Test
    void flagServiceAnswering503WaitsAndFlipsWhenItRecovers() {
        String flag = flagKey();
        flagService.define(flag, "KILL");
        AlertEvent alert = Alerts.critical(flag).build();
        String id = Alerts.actionId(alert);
        flagService.setUnavailable(true);

        Alerts.send(alert);
        await().atMost(TIMEOUT).until(() -> flagService.calls(flag).size() >= 3);
        assertThat(flagService.isKilled(flag)).isFalse();
        assertThat(Api.rollback(id)).isNull();

        flagService.setUnavailable(false);
        awaitDone(id);

        assertExactlyOneKill(flag, id);
    }

    @Test
    void flagServiceStoppedLosesNoAlertAndFlipsWhenBack() {
        String first = flagKey();
        String second = flagKey();
        flagService.define(first, "KILL");
        flagService.define(second, "KILL");
        AlertEvent firstAlert = Alerts.critical(first).build();
        AlertEvent secondAlert = Alerts.critical(second).build();
        double retriesBefore = Api.metric("rollguard_rollback_retries_total", "cause=\"flag_service\"");
        flagService.stop();

        Alerts.send(firstAlert, secondAlert);
        await().atMost(TIMEOUT)
                .until(() ->
                        Api.metric("rollguard_rollback_retries_total", "cause=\"flag_service\"") >= retriesBefore + 3);
        assertThat(flagService.isKilled(first)).isFalse();

        flagService.restart();
        awaitDone(Alerts.actionId(firstAlert));
        awaitDone(Alerts.actionId(secondAlert));

        assertExactlyOneKill(first, Alerts.actionId(firstAlert));
        assertExactlyOneKill(second, Alerts.actionId(secondAlert));
    }

    @Test
    void brokerRestartWhileAnAlertWaitsEndsWithOneFlip() {
        String flag = flagKey();
        flagService.define(flag, "KILL");
        AlertEvent alert = Alerts.critical(flag).build();
        String id = Alerts.actionId(alert);
        flagService.setUnavailable(true);
        Alerts.send(alert);
        await().atMost(TIMEOUT).until(() -> flagService.calls(flag).size() >= 2);

        // The alert is in flight and its offset uncommitted: after the restart it may be delivered a second time.
        rollbacks.close();
        Broker.restart();
        rollbacks = Alerts.rollbacks();
        flagService.setUnavailable(false);

        await().atMost(Duration.ofSeconds(60))
                .until(() -> !Alerts.eventsOf(rollbacks, id).isEmpty());
        awaitEverythingBeforeHandled();
        assertExactlyOneKill(flag, id);
    }

    @Test
    void alertThatCannotBeRecordedGoesToTheDeadLetterTopicAsSentAndTheNextAlertIsHandled() {
        String flag = flagKey();
        String next = flagKey();
        flagService.define(flag, "KILL");
        flagService.define(next, "KILL");
        // PostgreSQL text cannot hold NUL: the action cannot be stored, so the flag must not be changed either
        AlertEvent alert =
                Alerts.critical(flag).setRuleName("upload\u0000failures").build();
        byte[] sent = AvroCodec.of(AlertEvent.class).encode(alert);
        AlertEvent nextAlert = Alerts.critical(next).build();
        ConsumerTask<String, byte[]> deadLetters = Alerts.deadLetters();
        try {
            Alerts.sendBytes(alert.getFingerprint(), sent);
            Alerts.send(nextAlert);

            awaitDone(Alerts.actionId(nextAlert));
            assertExactlyOneKill(next, Alerts.actionId(nextAlert));
            await().atMost(TIMEOUT).until(() -> deadLetters.getRecords().stream()
                    .anyMatch(r -> alert.getFingerprint().equals(r.key())));
            ConsumerRecord<String, byte[]> dead = deadLetters.getRecords().stream()
                    .filter(r -> alert.getFingerprint().equals(r.key()))
                    .findFirst()
                    .orElseThrow();
            assertThat(dead.value()).isEqualTo(sent);
            assertThat(KafkaCompanion.getHeader(dead.headers(), "dead-letter-reason"))
                    .contains("0x00")
                    .contains("22021");
            assertThat(KafkaCompanion.getHeader(dead.headers(), "dead-letter-topic"))
                    .isEqualTo("alerts");
            assertThat(flagService.writes(flag)).isEmpty();
            assertThat(flagService.isKilled(flag)).isFalse();
            assertThat(Api.rollback(Alerts.actionId(alert))).isNull();
        } finally {
            deadLetters.close();
        }
    }

    @Test
    void undecodableRecordGoesToTheDeadLetterTopicAndTheGuardGoesOn() {
        String key = "garbage-" + UUID.randomUUID();
        byte[] garbage = "not an avro alert".getBytes(StandardCharsets.UTF_8);
        ConsumerTask<String, byte[]> deadLetters = Alerts.deadLetters();
        try {
            Alerts.sendBytes(key, garbage);
            awaitEverythingBeforeHandled();

            await().atMost(TIMEOUT)
                    .until(() -> deadLetters.getRecords().stream().anyMatch(r -> key.equals(r.key())));
            ConsumerRecord<String, byte[]> dead = deadLetters.getRecords().stream()
                    .filter(r -> key.equals(r.key()))
                    .findFirst()
                    .orElseThrow();
            assertThat(dead.value()).isEqualTo(garbage);
            assertThat(KafkaCompanion.getHeader(dead.headers(), "dead-letter-reason"))
                    .isNotBlank();
            assertThat(KafkaCompanion.getHeader(dead.headers(), "dead-letter-topic"))
                    .isEqualTo("alerts");
        } finally {
            deadLetters.close();
        }
    }
}
