package dev.rollguard.rollback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rollguard.infra.InfraTestResource;
import dev.rollguard.rollback.domain.Decision;
import dev.rollguard.rollback.mapping.RollbackMapper;
import dev.rollguard.rollback.repository.RollbackRepository;
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
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Rows a newer release stored with a state, action, outcome, scope type or cohort this release does not know: the
 * history still reads them (showing the stored names), an unconfirmed action of an unknown kind is not sent by this
 * release, and none of them is published by it.
 */
@QuarkusTest
@QuarkusTestResource(
        value = InfraTestResource.class,
        initArgs = @ResourceArg(name = InfraTestResource.DATABASE, value = "rollguard_rollbacks"))
@QuarkusTestResource(FakeFlagServiceResource.class)
class NewerReleaseRowsTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    @InjectFakeFlagService
    FakeFlagService flagService;

    @Inject
    RollbackRepository repository;

    @Inject
    Pool pool;

    private ConsumerTask<String, RollbackActionEvent> rollbacks;
    private ConsumerTask<String, byte[]> deadLetters;

    @BeforeEach
    void readTopics() {
        rollbacks = Alerts.rollbacks();
        deadLetters = Alerts.deadLetters();
    }

    @AfterEach
    void stopReading() {
        rollbacks.close();
        deadLetters.close();
    }

    /** A flag whose policy kills it, without a cooldown. */
    private String killingFlag() {
        String key = "flag-" + UUID.randomUUID();
        flagService.define(key, "KILL", false, 0, 4, 3);
        return key;
    }

    private void store(AlertEvent alert, RollbackOutcome outcome) {
        repository
                .insert(
                        RollbackMapper.newRecord(
                                alert,
                                Alerts.actionId(alert),
                                alert.getFlagKey(),
                                new Decision(GuardAction.KILL, outcome, false, "Automatic KILL by Rollguard."),
                                1L,
                                Instant.now()),
                        null)
                .await()
                .atMost(Duration.ofSeconds(5));
    }

    private void sql(String statement, String id) {
        pool.preparedQuery(statement).execute(Tuple.of(id)).await().atMost(Duration.ofSeconds(5));
    }

    @Test
    void anOutcomeThisReleaseDoesNotKnowIsShownAsStored() {
        String flag = killingFlag();
        AlertEvent alert = Alerts.critical(flag).build();
        String id = Alerts.actionId(alert);
        store(alert, RollbackOutcome.NOTIFIED);
        // Not published yet: the release that stored it crashed before publishing, which this release must leave to
        // it (its schema cannot carry the outcome).
        sql("update rollback_action set outcome = 'SKIPPED_BY_A_NEWER_RULE', published = false where id = $1", id);

        JsonPath one = Api.rollback(id);
        assertThat(one).as("read by id").isNotNull();
        assertThat(one.getString("outcome")).isEqualTo("SKIPPED_BY_A_NEWER_RULE");
        assertThat(one.getString("action")).isEqualTo("KILL");
        assertThat(one.getString("state")).isEqualTo("DONE");

        JsonPath page = Api.asAdmin()
                .queryParam("flag", flag)
                .get("/api/rollbacks")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
        assertThat(page.getList("id")).containsExactly(id);
        assertThat(page.getList("outcome")).containsExactly("SKIPPED_BY_A_NEWER_RULE");

        // The alert read again: already handled by the release that stored it, nothing sent or published.
        AlertEvent later = Alerts.critical(flag).build();
        Alerts.send(alert, later);
        await().atMost(TIMEOUT)
                .until(() -> !Alerts.eventsOf(rollbacks, Alerts.actionId(later)).isEmpty());
        assertThat(Alerts.eventsOf(rollbacks, id)).isEmpty();
        assertThat(Api.rollback(id).getString("outcome")).isEqualTo("SKIPPED_BY_A_NEWER_RULE");
        assertThat(deadLetters.getRecords())
                .noneMatch(r -> alert.getFingerprint().equals(r.key()));
    }

    @Test
    void anUnconfirmedActionThisReleaseDoesNotKnowIsFailedWithoutASend() {
        String flag = killingFlag();
        AlertEvent alert = Alerts.critical(flag).build();
        String id = Alerts.actionId(alert);
        store(alert, RollbackOutcome.APPLIED);
        // Stored by a newer release longer ago than it may take to send it.
        sql(
                "update rollback_action set action = 'PAUSE_ROLLOUT', created_at = now() - interval '1 hour'"
                        + " where id = $1",
                id);
        AlertEvent later = Alerts.critical(flag).build();

        Alerts.send(alert, later);

        await().atMost(TIMEOUT)
                .until(() -> !Alerts.eventsOf(rollbacks, Alerts.actionId(later)).isEmpty());
        assertThat(flagService.writes(flag))
                .as("nothing sent under the newer release's key")
                .noneMatch(call -> id.equals(call.idempotencyKey()));
        JsonPath stored = Api.rollback(id);
        assertThat(stored.getString("state")).isEqualTo("DONE");
        assertThat(stored.getString("outcome")).isEqualTo("FAILED");
        assertThat(stored.getString("action")).isEqualTo("PAUSE_ROLLOUT");
        assertThat(stored.getString("reason"))
                .startsWith("Automatic KILL by Rollguard. Not sent again")
                .contains("as PAUSE_ROLLOUT, an action this release does not know")
                .contains("Idempotency-Key " + id);
        assertThat(Alerts.eventsOf(rollbacks, id))
                .as("an event of an action the schema cannot carry")
                .isEmpty();
        assertThat(deadLetters.getRecords())
                .noneMatch(r -> alert.getFingerprint().equals(r.key()));
    }

    @Test
    void aScopeTypeAndCohortThisReleaseDoesNotKnowAreShownAsStored() {
        String flag = killingFlag();
        AlertEvent alert = Alerts.critical(flag).build();
        String id = Alerts.actionId(alert);
        store(alert, RollbackOutcome.NOTIFIED);
        // Not published yet: the release that stored it crashed before publishing, which this release must leave to
        // it (its schema cannot carry the scope type or the cohort).
        sql(
                "update rollback_action set scope_type = 'WEIGHTED_VARIANT', cohort = 'VARIANT_B', published = false"
                        + " where id = $1",
                id);

        JsonPath one = Api.rollback(id);
        assertThat(one).as("read by id").isNotNull();
        assertThat(one.getString("scopeType")).isEqualTo("WEIGHTED_VARIANT");
        assertThat(one.getString("cohort")).isEqualTo("VARIANT_B");
        assertThat(one.getString("outcome")).isEqualTo("NOTIFIED");
        assertThat(one.getString("action")).isEqualTo("KILL");

        JsonPath page = Api.asAdmin()
                .queryParam("flag", flag)
                .get("/api/rollbacks")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
        assertThat(page.getList("id")).containsExactly(id);
        assertThat(page.getList("scopeType")).containsExactly("WEIGHTED_VARIANT");
        assertThat(page.getList("cohort")).containsExactly("VARIANT_B");

        // The alert read again: already handled by the release that stored it, nothing sent or published.
        AlertEvent later = Alerts.critical(flag).build();
        Alerts.send(alert, later);
        await().atMost(TIMEOUT)
                .until(() -> !Alerts.eventsOf(rollbacks, Alerts.actionId(later)).isEmpty());
        assertThat(Alerts.eventsOf(rollbacks, id)).isEmpty();
        assertThat(Api.rollback(id).getBoolean("published")).isFalse();
        assertThat(deadLetters.getRecords())
                .noneMatch(r -> alert.getFingerprint().equals(r.key()));
    }

    @Test
    void anUnconfirmedActionOfACohortThisReleaseDoesNotKnowIsSentAsStoredButNotPublished() {
        String flag = killingFlag();
        AlertEvent alert = Alerts.critical(flag).build();
        String id = Alerts.actionId(alert);
        store(alert, RollbackOutcome.APPLIED);
        sql("update rollback_action set cohort = 'VARIANT_B' where id = $1", id);
        AlertEvent later = Alerts.critical(flag).build();

        Alerts.send(alert, later);

        await().atMost(TIMEOUT)
                .until(() -> !Alerts.eventsOf(rollbacks, Alerts.actionId(later)).isEmpty());
        // The request names no cohort: the one the newer release sent, under its key.
        assertThat(flagService.writes(flag)).anyMatch(call -> id.equals(call.idempotencyKey()));
        JsonPath stored = Api.rollback(id);
        assertThat(stored.getString("state")).isEqualTo("DONE");
        assertThat(stored.getString("outcome")).isEqualTo("APPLIED");
        assertThat(stored.getString("cohort")).isEqualTo("VARIANT_B");
        assertThat(stored.getBoolean("published")).isFalse();
        assertThat(Alerts.eventsOf(rollbacks, id))
                .as("an event whose cohort the schema cannot carry")
                .isEmpty();
        assertThat(deadLetters.getRecords())
                .noneMatch(r -> alert.getFingerprint().equals(r.key()));
    }
}
