package dev.rollguard.rollback.repository;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.infra.InfraTestResource;
import dev.rollguard.rollback.domain.Decision;
import dev.rollguard.rollback.domain.RollbackRecord;
import dev.rollguard.rollback.mapping.RollbackMapper;
import dev.rollguard.rollback.repository.RollbackRepository.DueRecheck;
import dev.rollguard.rollback.repository.RollbackRepository.Recheck;
import dev.rollguard.rollback.testing.Alerts;
import dev.rollguard.rollback.testing.FakeFlagServiceResource;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.event.GuardAction;
import dev.rollguard.schemas.event.RollbackOutcome;
import dev.rollguard.schemas.serde.AvroCodec;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Transaction;
import io.vertx.mutiny.sqlclient.Tuple;
import io.vertx.pgclient.PgException;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;

/** The guard's actions stored in the real PostgreSQL: one insert for every action, with or without a recheck. */
@QuarkusTest
@QuarkusTestResource(
        value = InfraTestResource.class,
        initArgs = @ResourceArg(name = InfraTestResource.DATABASE, value = "rollguard_rollbacks"))
@QuarkusTestResource(FakeFlagServiceResource.class)
class RollbackRepositoryTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    /** Far enough ahead that the service's own cooldown rechecks never take these rows while a test runs. */
    private static final Instant LATER = Instant.now().plus(1, ChronoUnit.DAYS).truncatedTo(ChronoUnit.MILLIS);

    @Inject
    RollbackRepository repository;

    @Inject
    Pool pool;

    private static RollbackRecord action(AlertEvent alert, RollbackOutcome outcome) {
        String flag = alert.getFlagKey();
        return RollbackMapper.newRecord(
                alert,
                Alerts.actionId(alert),
                flag,
                new Decision(GuardAction.REVERT_STAGE, outcome, false, outcome + " on " + flag + "."),
                3L,
                Instant.now().truncatedTo(ChronoUnit.MILLIS));
    }

    private static byte[] encoded(AlertEvent alert) {
        return AvroCodec.of(AlertEvent.class).encode(alert);
    }

    private boolean insert(RollbackRecord record, Recheck recheck) {
        return repository.insert(record, recheck).await().atMost(WAIT);
    }

    /** The rechecks due at {@code at} among the given ids. */
    private List<DueRecheck> dueAt(Instant at, String... ids) {
        List<String> wanted = List.of(ids);
        return repository.dueRechecks(at, Integer.MAX_VALUE).await().atMost(WAIT).stream()
                .filter(due -> wanted.contains(due.id()))
                .toList();
    }

    @Test
    void anActionSkippedForTheCooldownIsStoredWholeWithItsRecheck() {
        AlertEvent alert = Alerts.critical("flag-" + UUID.randomUUID()).build();
        RollbackRecord skipped = action(alert, RollbackOutcome.SKIPPED_COOLDOWN);

        assertThat(insert(skipped, new Recheck(LATER, encoded(alert)))).isTrue();

        assertThat(repository.findById(skipped.id()).await().atMost(WAIT)).isEqualTo(skipped);
        assertThat(dueAt(LATER.minusMillis(1), skipped.id()))
                .as("not due before its time")
                .isEmpty();
        assertThat(dueAt(LATER, skipped.id())).singleElement().satisfies(due -> assertThat(
                        AvroCodec.of(AlertEvent.class).decode(due.alert()))
                .isEqualTo(alert));

        repository.clearRecheck(skipped.id()).await().atMost(WAIT);
        assertThat(dueAt(LATER, skipped.id()))
                .as("not due again once rechecked")
                .isEmpty();
    }

    @Test
    void everyOtherActionIsStoredWholeAndIsNeverDue() {
        AlertEvent alert = Alerts.critical("flag-" + UUID.randomUUID()).build();
        RollbackRecord pending = action(alert, RollbackOutcome.APPLIED);

        assertThat(insert(pending, null)).isTrue();

        assertThat(repository.findById(pending.id()).await().atMost(WAIT)).isEqualTo(pending);
        assertThat(dueAt(LATER.plus(365, ChronoUnit.DAYS), pending.id())).isEmpty();
    }

    @Test
    void aSecondInsertUnderTheSameIdChangesNothing() {
        AlertEvent plain = Alerts.critical("flag-" + UUID.randomUUID()).build();
        RollbackRecord notified = action(plain, RollbackOutcome.NOTIFIED);
        AlertEvent skippedAlert = Alerts.critical("flag-" + UUID.randomUUID()).build();
        RollbackRecord skipped = action(skippedAlert, RollbackOutcome.SKIPPED_COOLDOWN);
        assertThat(insert(notified, null)).isTrue();
        assertThat(insert(skipped, new Recheck(LATER, encoded(skippedAlert)))).isTrue();

        assertThat(insert(action(plain, RollbackOutcome.SKIPPED_COOLDOWN), new Recheck(LATER, encoded(plain))))
                .isFalse();
        assertThat(insert(action(skippedAlert, RollbackOutcome.NOTIFIED), null)).isFalse();

        assertThat(repository.findById(notified.id()).await().atMost(WAIT)).isEqualTo(notified);
        assertThat(repository.findById(skipped.id()).await().atMost(WAIT)).isEqualTo(skipped);
        assertThat(dueAt(LATER, notified.id(), skipped.id()))
                .extracting(DueRecheck::id)
                .containsExactly(skipped.id());
        repository.clearRecheck(skipped.id()).await().atMost(WAIT);
    }

    @Test
    void aLateOutcomeNeverOverwritesOneAlreadyRecorded() {
        AlertEvent alert = Alerts.critical("flag-" + UUID.randomUUID()).build();
        RollbackRecord pending = action(alert, RollbackOutcome.APPLIED);
        assertThat(insert(pending, null)).isTrue();
        RollbackRecord applied = pending.completed(
                RollbackOutcome.APPLIED, "Applied.", 4L, Instant.now().truncatedTo(ChronoUnit.MILLIS));
        RollbackRecord failed = pending.completed(RollbackOutcome.FAILED, "Failed late.", null, null);

        assertThat(repository.complete(applied).await().atMost(WAIT)).isTrue();
        assertThat(repository.complete(failed).await().atMost(WAIT))
                .as("the action is no longer pending")
                .isFalse();

        RollbackRecord stored = repository.findById(pending.id()).await().atMost(WAIT);
        assertThat(stored.outcome()).isEqualTo(RollbackOutcome.APPLIED);
        assertThat(stored.reason()).isEqualTo("Applied.");
        assertThat(stored.flagVersionAfter()).isEqualTo(4L);
        assertThat(repository
                        .complete(action(
                                        Alerts.critical("flag-" + UUID.randomUUID())
                                                .build(),
                                        RollbackOutcome.APPLIED)
                                .completed(RollbackOutcome.FAILED, "Never stored.", null, null))
                        .await()
                        .atMost(WAIT))
                .as("no such action")
                .isFalse();
    }

    /**
     * V8 run while another transaction holds a lock on the table (a long read, say): it gives up after its lock
     * timeout rather than wait without end, holding every later query on the table behind its own lock request.
     */
    @Test
    void theRequestFormatMigrationWaitsForItsLockABoundedTime() throws IOException {
        String migration;
        try (InputStream script =
                getClass().getClassLoader().getResourceAsStream("db/migration/V8__request_format.sql")) {
            migration = new String(script.readAllBytes(), StandardCharsets.UTF_8);
        }
        SqlConnection holder = pool.getConnection().await().atMost(WAIT);
        try {
            Transaction held = holder.begin().await().atMost(WAIT);
            holder.query("lock table rollback_action in access share mode")
                    .execute()
                    .await()
                    .atMost(WAIT);

            // Run as Flyway runs it (in a transaction of its own), on a table that has the column already: the lock
            // is asked for before the column is looked at, so the failure says which of the two stopped it.
            Throwable failure = pool.withTransaction(
                            connection -> connection.query(migration).execute())
                    .map(rows -> (Throwable) null)
                    .onFailure()
                    .recoverWithItem(thrown -> thrown)
                    .await()
                    .atMost(Duration.ofSeconds(60));

            assertThat(failure).isInstanceOf(PgException.class);
            assertThat(((PgException) failure).getSqlState())
                    .as("lock_not_available: %s", failure.getMessage())
                    .isEqualTo("55P03");
            held.rollback().await().atMost(WAIT);
        } finally {
            holder.close().await().atMost(WAIT);
        }
    }

    @Test
    void aPageOfTheHistoryIsReadFromAnIndexInItsOrder() {
        // The test table is small enough to read whole and sort; with that made dear, the plan shows whether an index
        // serves both the cursor's condition and the order, as on a table of years of actions.
        String plan = pool.withTransaction(connection -> connection
                        .query("set local enable_seqscan = off; set local enable_bitmapscan = off;"
                                + " set local enable_sort = off")
                        .execute()
                        .flatMap(ignored -> connection
                                .preparedQuery("explain " + RollbackRepository.listQuery(false, false, true))
                                .execute(Tuple.of("any-id", 50))))
                .map(rows -> StreamSupport.stream(rows.spliterator(), false)
                        .map((Row row) -> row.getString(0))
                        .collect(Collectors.joining("\n")))
                .await()
                .atMost(WAIT);

        assertThat(plan)
                .as(plan)
                .contains("Index Scan Backward using rollback_action_created_id")
                .doesNotContain("Sort");
    }
}
