package dev.rollguard.alert.repository;

import dev.rollguard.alert.repository.EvaluationWrite.CohortWindowRow;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The evaluator's tables (rule states, consumer positions, waiting cohort windows, the alert outbox and webhook
 * notification groups) through the reactive SQL client: one transaction per batch of windows with batched
 * statements, which an ORM session would only slow down on this hot path.
 */
@ApplicationScoped
public class EvaluationRepository {

    /** A stored rule state. */
    public record StoredState(String ruleId, String scopeKey, String json) {}

    /** A stored alert transition and its sequence number. */
    public record StoredAlert(long seq, String alertId) {}

    private static final String UPSERT_STATE =
            """
            INSERT INTO rule_states (rule_id, scope_key, state, updated_at) VALUES ($1, $2, $3, $4)
            ON CONFLICT (rule_id, scope_key) DO UPDATE SET state = EXCLUDED.state, updated_at = EXCLUDED.updated_at""";
    private static final String UPSERT_GUARD_STAGE =
            """
            INSERT INTO guard_stages (flag_key, stage_version, evidence, verdict, updated_at) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (flag_key) DO UPDATE SET stage_version = EXCLUDED.stage_version, evidence = EXCLUDED.evidence,
                verdict = EXCLUDED.verdict, updated_at = EXCLUDED.updated_at""";
    private static final String DELETE_GUARD_STAGE = "DELETE FROM guard_stages WHERE flag_key = $1";
    private static final String DELETE_STATE = "DELETE FROM rule_states WHERE rule_id = $1 AND scope_key = $2";
    private static final String INSERT_ALERT =
            """
            INSERT INTO alerts (alert_id, fingerprint, status, severity, rule_id, scope_key, flag_key, starts_at,
                                ends_at, emitted_at, payload_json, payload_avro)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
            ON CONFLICT (alert_id) DO NOTHING RETURNING seq, alert_id""";
    /** A new group waits for its first flush; a known one is marked changed (its row lock orders it with flushes). */
    private static final String UPSERT_GROUP =
            """
            INSERT INTO notification_groups (webhook_id, group_id, group_key, group_labels, dirty, next_flush_at,
                                             created_at)
            SELECT $1::varchar, $2::varchar, $3::text, $4::text, true, $5::timestamptz, $6::timestamptz
            WHERE EXISTS (SELECT 1 FROM webhooks WHERE id = $1::varchar)
            ON CONFLICT (webhook_id, group_id) DO UPDATE SET dirty = true""";
    /** The alert's latest transition in its group; an older transition never overwrites a newer one. */
    private static final String UPSERT_GROUP_ALERT =
            """
            INSERT INTO notification_group_alerts (webhook_id, group_id, fingerprint, alert_seq, alert_id, firing, alert,
                                                   updated_at)
            SELECT $1::varchar, $2::varchar, $3::varchar, $4::bigint, $5::varchar, $6::boolean, $7::text, $8::timestamptz
            WHERE EXISTS (SELECT 1 FROM notification_groups WHERE webhook_id = $1::varchar AND group_id = $2::varchar)
            ON CONFLICT (webhook_id, group_id, fingerprint) DO UPDATE
            SET alert_seq = EXCLUDED.alert_seq, alert_id = EXCLUDED.alert_id, firing = EXCLUDED.firing,
                alert = EXCLUDED.alert, updated_at = EXCLUDED.updated_at
            WHERE notification_group_alerts.alert_seq < EXCLUDED.alert_seq""";

    private static final String UPSERT_COHORT_WINDOW =
            """
            INSERT INTO cohort_windows (flag_key, window_kind, window_start, window_end, cohort, payload)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (flag_key, window_kind, window_start, window_end, cohort) DO UPDATE SET payload = EXCLUDED.payload""";
    private static final String DELETE_COHORT_WINDOW =
            """
            DELETE FROM cohort_windows
            WHERE flag_key = $1 AND window_kind = $2 AND window_start = $3 AND window_end = $4 AND cohort = $5""";
    private static final String UPSERT_POSITION =
            """
            INSERT INTO consumer_positions (topic, partition_no, next_offset, updated_at) VALUES ($1, $2, $3, $4)
            ON CONFLICT (topic, partition_no) DO UPDATE
            SET next_offset = GREATEST(consumer_positions.next_offset, EXCLUDED.next_offset), updated_at = EXCLUDED.updated_at""";

    private final Pool pool;

    public EvaluationRepository(Pool pool) {
        this.pool = pool;
    }

    public Uni<List<StoredState>> states() {
        return pool.query("SELECT rule_id, scope_key, state FROM rule_states")
                .execute()
                .map(rows -> {
                    List<StoredState> states = new ArrayList<>();
                    for (Row row : rows) {
                        states.add(new StoredState(row.getString(0), row.getString(1), row.getString(2)));
                    }
                    return states;
                });
    }

    public Uni<Map<Integer, Long>> positions(String topic) {
        return pool.preparedQuery("SELECT partition_no, next_offset FROM consumer_positions WHERE topic = $1")
                .execute(Tuple.of(topic))
                .map(rows -> {
                    Map<Integer, Long> positions = new HashMap<>();
                    for (Row row : rows) {
                        positions.put(row.getInteger(0), row.getLong(1));
                    }
                    return positions;
                });
    }

    public Uni<List<CohortWindowRow>> cohortWindows() {
        return pool.query("SELECT flag_key, window_kind, window_start, window_end, cohort, payload FROM cohort_windows")
                .execute()
                .map(rows -> {
                    List<CohortWindowRow> windows = new ArrayList<>();
                    for (Row row : rows) {
                        windows.add(new CohortWindowRow(
                                row.getString(0),
                                row.getString(1),
                                row.getLong(2),
                                row.getLong(3),
                                row.getString(4),
                                row.getBuffer(5).getBytes()));
                    }
                    return windows;
                });
    }

    /** Forgets cohort windows that ended before {@code endBefore} (epoch millis) without finding their counterpart. */
    public Uni<Integer> pruneCohortWindows(long endBefore) {
        return pool.preparedQuery("DELETE FROM cohort_windows WHERE window_end < $1")
                .execute(Tuple.of(endBefore))
                .map(rows -> rows.rowCount());
    }

    /** Writes one batch's changes atomically; returns the alerts actually inserted (a replayed alert id is not). */
    /** The guard's stored evidence of every flag. */
    public Uni<List<EvaluationWrite.GuardStageRow>> guardStages() {
        return pool.query("SELECT flag_key, stage_version, evidence, verdict FROM guard_stages")
                .execute()
                .map(rows -> {
                    List<EvaluationWrite.GuardStageRow> stages = new ArrayList<>();
                    rows.forEach(row -> stages.add(new EvaluationWrite.GuardStageRow(
                            row.getString("flag_key"),
                            row.getLong("stage_version"),
                            row.getString("evidence"),
                            row.getString("verdict"))));
                    return stages;
                });
    }

    public Uni<List<StoredAlert>> write(EvaluationWrite write) {
        return pool.withTransaction(connection -> {
            OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
            List<Tuple> upserts = write.states().stream()
                    .map(s -> Tuple.of(s.ruleId(), s.scopeKey(), s.json(), now))
                    .toList();
            List<Tuple> deletes = write.idleStates().stream()
                    .map(s -> Tuple.of(s.ruleId(), s.scopeKey()))
                    .toList();
            List<Tuple> waiting = write.cohortWindows().stream()
                    .map(w -> Tuple.tuple(List.of(
                            w.flagKey(),
                            w.windowKind(),
                            w.windowStart(),
                            w.windowEnd(),
                            w.cohort(),
                            Buffer.buffer(w.payload()))))
                    .toList();
            List<Tuple> paired = write.pairedCohortWindows().stream()
                    .map(w -> Tuple.of(w.flagKey(), w.windowKind(), w.windowStart(), w.windowEnd(), w.cohort()))
                    .toList();
            List<Tuple> guardUpserts = write.guardStages().stream()
                    .filter(g -> g.evidence() != null)
                    .map(g -> Tuple.of(g.flagKey(), g.stageVersion(), g.evidence(), g.verdict(), now))
                    .toList();
            List<Tuple> guardDeletes = write.guardStages().stream()
                    .filter(g -> g.evidence() == null)
                    .map(g -> Tuple.of(g.flagKey()))
                    .toList();
            List<Tuple> positions = write.positions().entrySet().stream()
                    .map(p -> Tuple.of(write.topic(), p.getKey(), p.getValue(), now))
                    .toList();
            // Sent back to back on the transaction's connection (the client pipelines them), so the batch costs about
            // one round trip instead of one per statement; PostgreSQL still runs them in this order. All are awaited
            // before the transaction ends, so none is sent after a failure has rolled it back.
            Uni<Void> states = batch(connection, UPSERT_STATE, upserts);
            Uni<Void> idle = batch(connection, DELETE_STATE, deletes);
            Uni<Void> pairedHalves = batch(connection, DELETE_COHORT_WINDOW, paired);
            Uni<Void> waitingHalves = batch(connection, UPSERT_COHORT_WINDOW, waiting);
            Uni<List<StoredAlert>> alerts =
                    insertAlerts(connection, write.alerts(), now).memoize().indefinitely();
            Uni<Void> guard = batch(connection, UPSERT_GUARD_STAGE, guardUpserts);
            Uni<Void> guardGone = batch(connection, DELETE_GUARD_STAGE, guardDeletes);
            Uni<Void> offsets = batch(connection, UPSERT_POSITION, positions);
            return Uni.join()
                    .all(states, idle, pairedHalves, waitingHalves, alerts.replaceWithVoid(), guard, guardGone, offsets)
                    .andCollectFailures()
                    .chain(() -> alerts);
        });
    }

    /**
     * Inserts the batch's alerts in one batched statement; a transition stored before (same alert id, e.g. after a
     * replay) returns no row and joins no notification group again.
     */
    private Uni<List<StoredAlert>> insertAlerts(
            SqlConnection connection, List<PendingAlert> alerts, OffsetDateTime now) {
        if (alerts.isEmpty()) {
            return Uni.createFrom().item(List.of());
        }
        List<Tuple> rows = alerts.stream().map(EvaluationRepository::alertRow).toList();
        return connection.preparedQuery(INSERT_ALERT).executeBatch(rows).chain(result -> {
            Map<String, Long> seqs = new HashMap<>();
            for (RowSet<Row> set = result; set != null; set = set.next()) {
                for (Row row : set) {
                    seqs.put(row.getString(1), row.getLong(0));
                }
            }
            List<StoredAlert> stored = new ArrayList<>();
            Map<String, Tuple> groups = new TreeMap<>();
            List<Tuple> members = new ArrayList<>();
            for (PendingAlert alert : alerts) {
                Long seq = seqs.get(alert.event().getAlertId());
                if (seq == null) {
                    continue;
                }
                stored.add(new StoredAlert(seq, alert.event().getAlertId()));
                for (PendingAlert.GroupEntry g : alert.notifications()) {
                    groups.putIfAbsent(
                            g.webhookId() + "/" + g.groupId(),
                            Tuple.of(
                                    g.webhookId(),
                                    g.groupId(),
                                    g.groupKey(),
                                    g.groupLabels(),
                                    g.firstFlushAt().atOffset(ZoneOffset.UTC),
                                    now));
                    members.add(Tuple.tuple(Arrays.asList(
                            g.webhookId(),
                            g.groupId(),
                            alert.event().getFingerprint(),
                            seq,
                            alert.event().getAlertId(),
                            g.firing(),
                            g.alert(),
                            now)));
                }
            }
            // Groups first, in key order: a group's row lock is taken before its alerts are touched, the same order
            // as a flush, and transactions of several instances lock shared groups in one order.
            return batch(connection, UPSERT_GROUP, List.copyOf(groups.values()))
                    .chain(() -> batch(connection, UPSERT_GROUP_ALERT, members))
                    .replaceWith(stored);
        });
    }

    private static Tuple alertRow(PendingAlert alert) {
        var e = alert.event();
        return Tuple.tuple(Arrays.asList(
                e.getAlertId(),
                e.getFingerprint(),
                e.getStatus().name(),
                e.getSeverity().name(),
                e.getRuleId(),
                e.getScopeKey(),
                e.getFlagKey(),
                e.getStartsAt().atOffset(ZoneOffset.UTC),
                e.getEndsAt() == null ? null : e.getEndsAt().atOffset(ZoneOffset.UTC),
                e.getEmittedAt().atOffset(ZoneOffset.UTC),
                alert.json(),
                Buffer.buffer(alert.avro())));
    }

    private static Uni<Void> batch(SqlConnection connection, String sql, List<Tuple> tuples) {
        if (tuples.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        if (tuples.size() == 1) {
            return connection.preparedQuery(sql).execute(tuples.get(0)).replaceWithVoid();
        }
        return connection.preparedQuery(sql).executeBatch(tuples).replaceWithVoid();
    }
}
