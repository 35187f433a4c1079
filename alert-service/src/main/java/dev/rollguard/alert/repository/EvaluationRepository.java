package dev.rollguard.alert.repository;

import dev.rollguard.alert.repository.EvaluationWrite.CohortWindowRow;
import io.smallrye.mutiny.CompositeException;
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
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The evaluator's tables (rule states and the idle states the no-data sweep needs, consumer positions, waiting
 * cohort windows, the alert outbox and webhook notification groups) through the reactive SQL client: one transaction
 * per batch of windows with batched statements, which an ORM session would only slow down on this hot path.
 */
@ApplicationScoped
public class EvaluationRepository {

    /** A stored rule state and the partition it belongs to (null when stored before partitions were recorded). */
    public record StoredState(String ruleId, String scopeKey, String json, Integer partition) {}

    /** A write refused because its instance no longer holds one of its partitions at the epoch it claimed. */
    public static final class PartitionFencedException extends RuntimeException {
        public PartitionFencedException(String message) {
            super(message);
        }
    }

    /** Rows of these partitions, and rows stored before partitions were recorded. */
    private static final String OWNED = " WHERE (partition_no = ANY($1) OR partition_no IS NULL)";

    /**
     * A stored alert transition and its sequence number.
     *
     * @param behind an earlier transition of its fingerprint that another instance stored (or that came from outside)
     *     is not published yet: this one must not reach Kafka before it
     */
    public record StoredAlert(long seq, String alertId, boolean behind) {}

    private static final String UPSERT_STATE =
            """
            INSERT INTO rule_states (rule_id, scope_key, state, updated_at, partition_no) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (rule_id, scope_key) DO UPDATE SET state = EXCLUDED.state, updated_at = EXCLUDED.updated_at,
                partition_no = COALESCE(EXCLUDED.partition_no, rule_states.partition_no)""";
    private static final String UPSERT_WATERMARK =
            """
            INSERT INTO scope_watermarks (rule_id, scope_key, state, last_window_end, partition_no, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (rule_id, scope_key) DO UPDATE SET state = EXCLUDED.state,
                last_window_end = EXCLUDED.last_window_end, updated_at = EXCLUDED.updated_at,
                partition_no = COALESCE(EXCLUDED.partition_no, scope_watermarks.partition_no)""";
    private static final String DELETE_WATERMARK = "DELETE FROM scope_watermarks WHERE rule_id = $1 AND scope_key = $2";
    private static final String UPSERT_GUARD_STAGE =
            """
            INSERT INTO guard_stages (flag_key, stage_version, evidence, verdict, updated_at, partition_no)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (flag_key) DO UPDATE SET stage_version = EXCLUDED.stage_version, evidence = EXCLUDED.evidence,
                verdict = EXCLUDED.verdict, updated_at = EXCLUDED.updated_at,
                partition_no = COALESCE(EXCLUDED.partition_no, guard_stages.partition_no)""";
    private static final String DELETE_GUARD_STAGE = "DELETE FROM guard_stages WHERE flag_key = $1";
    private static final String DELETE_STATE = "DELETE FROM rule_states WHERE rule_id = $1 AND scope_key = $2";
    private static final String INSERT_ALERT =
            """
            INSERT INTO alerts (alert_id, fingerprint, status, severity, rule_id, scope_key, flag_key, starts_at,
                                ends_at, emitted_at, payload_json, payload_avro, stored_by)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
            ON CONFLICT (alert_id) DO NOTHING RETURNING seq, alert_id""";
    /**
     * A new group waits for its first flush; a known one is marked changed (its row lock orders it with flushes), and
     * one waiting for the delivery of its final notification is due like a new one.
     */
    private static final String UPSERT_GROUP =
            """
            INSERT INTO notification_groups (webhook_id, group_id, group_key, group_labels, dirty, next_flush_at,
                                             created_at)
            SELECT $1::varchar, $2::varchar, $3::text, $4::text, true, $5::timestamptz, $6::timestamptz
            WHERE EXISTS (SELECT 1 FROM webhooks WHERE id = $1::varchar)
            ON CONFLICT (webhook_id, group_id) DO UPDATE SET dirty = true,
                next_flush_at = CASE WHEN notification_groups.next_flush_at = 'infinity' THEN EXCLUDED.next_flush_at
                                     ELSE notification_groups.next_flush_at END""";
    /**
     * The alert's latest transition in its group; an older transition never overwrites a newer one. A newer one is
     * not yet carried by any notification, so the delivery of one that carried the former never forgets it, and a
     * notification that carried the former does not count towards dropping it.
     */
    private static final String UPSERT_GROUP_ALERT =
            """
            INSERT INTO notification_group_alerts (webhook_id, group_id, fingerprint, alert_seq, alert_id, firing, alert,
                                                   updated_at)
            SELECT $1::varchar, $2::varchar, $3::varchar, $4::bigint, $5::varchar, $6::boolean, $7::text, $8::timestamptz
            WHERE EXISTS (SELECT 1 FROM notification_groups WHERE webhook_id = $1::varchar AND group_id = $2::varchar)
            ON CONFLICT (webhook_id, group_id, fingerprint) DO UPDATE
            SET alert_seq = EXCLUDED.alert_seq, alert_id = EXCLUDED.alert_id, firing = EXCLUDED.firing,
                alert = EXCLUDED.alert, updated_at = EXCLUDED.updated_at, notified_in = NULL,
                carried_at = NULL
            WHERE notification_group_alerts.alert_seq < EXCLUDED.alert_seq""";

    /**
     * Fingerprints with a transition another instance stored (or none did) that is not published yet, nor
     * dead-lettered.
     */
    private static final String BEHIND =
            """
            SELECT DISTINCT fingerprint FROM alerts
            WHERE published_at IS NULL AND dead_lettered_at IS NULL AND fingerprint = ANY($1) AND stored_by IS DISTINCT FROM $2""";

    /**
     * The fingerprints' locks, shared: commits of transitions do not wait for each other, but a redelivery of an
     * alert's dead-lettered latest transition ({@link AlertRepository#redeliver}) and a commit of a new transition of
     * that alert wait for each other, so that a redelivery sees the new transition (and is refused) or the commit's
     * {@link #BEHIND} sees the redelivered one (and leaves the new one to the poll, which sends it after).
     */
    private static final String LOCK_FINGERPRINTS = "SELECT pg_advisory_xact_lock_shared(hashtextextended(f, "
            + AlertRepository.FINGERPRINT_LOCK_SEED + ")) FROM unnest($1::text[]) AS f";

    private static final String UPSERT_COHORT_WINDOW =
            """
            INSERT INTO cohort_windows
                (flag_key, window_kind, window_start, window_end, cohort, variant, payload, partition_no)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            ON CONFLICT (flag_key, window_kind, window_start, window_end, cohort, variant)
            DO UPDATE SET payload = EXCLUDED.payload, partition_no = EXCLUDED.partition_no""";
    private static final String DELETE_COHORT_WINDOW =
            """
            DELETE FROM cohort_windows
            WHERE flag_key = $1 AND window_kind = $2 AND window_start = $3 AND window_end = $4 AND cohort = $5
              AND variant = $6""";
    private static final String UPSERT_POSITION =
            """
            INSERT INTO consumer_positions (topic, partition_no, next_offset, updated_at) VALUES ($1, $2, $3, $4)
            ON CONFLICT (topic, partition_no) DO UPDATE
            SET next_offset = GREATEST(consumer_positions.next_offset, EXCLUDED.next_offset), updated_at = EXCLUDED.updated_at""";

    /** Locks (FOR SHARE) and counts the partitions the writer still holds at the epochs it claimed. */
    private static final String FENCE =
            """
            SELECT count(*) FROM (SELECT 1 FROM partition_owners
                WHERE topic = $1 AND owner = $2 AND (partition_no, epoch) IN (SELECT * FROM unnest($3::int[], $4::bigint[]))
                FOR SHARE) held""";
    /** A new owner takes partitions over: a claim waits for a write of the previous owner in progress. */
    private static final String CLAIM =
            """
            INSERT INTO partition_owners (topic, partition_no, owner, epoch, claimed_at)
            SELECT $1, p, $2, 1, $3 FROM unnest($4::int[]) AS p
            ON CONFLICT (topic, partition_no) DO UPDATE
            SET owner = EXCLUDED.owner, epoch = partition_owners.epoch + 1, claimed_at = EXCLUDED.claimed_at
            RETURNING partition_no, epoch""";

    private final Pool pool;

    public EvaluationRepository(Pool pool) {
        this.pool = pool;
    }

    /** Claims {@code partitions} of {@code topic} for {@code owner}; returns the epoch of each claim. */
    public Uni<Map<Integer, Long>> claim(String topic, String owner, Collection<Integer> partitions) {
        if (partitions.isEmpty()) {
            return Uni.createFrom().item(Map.of());
        }
        return pool.preparedQuery(CLAIM)
                .execute(Tuple.of(topic, owner, OffsetDateTime.now(ZoneOffset.UTC), partitions.toArray(Integer[]::new)))
                .map(EvaluationRepository::epochs);
    }

    /** The partitions of {@code topic} that {@code owner} holds now, with their epochs. */
    public Uni<Map<Integer, Long>> held(String topic, String owner) {
        return pool.preparedQuery("SELECT partition_no, epoch FROM partition_owners WHERE topic = $1 AND owner = $2")
                .execute(Tuple.of(topic, owner))
                .map(EvaluationRepository::epochs);
    }

    private static Map<Integer, Long> epochs(RowSet<Row> rows) {
        Map<Integer, Long> epochs = new HashMap<>();
        for (Row row : rows) {
            epochs.put(row.getInteger(0), row.getLong(1));
        }
        return epochs;
    }

    /** The rule states of {@code partitions} and those stored before partitions were recorded. */
    public Uni<List<StoredState>> states(Collection<Integer> partitions) {
        return storedStates("rule_states", partitions);
    }

    /**
     * The idle rule states of {@code partitions} (and those stored without a partition) that the no-data sweep needs:
     * scopes seen with nothing pending or firing.
     */
    public Uni<List<StoredState>> watermarks(Collection<Integer> partitions) {
        return storedStates("scope_watermarks", partitions);
    }

    /** The states a table ({@code rule_states}, {@code scope_watermarks}) holds for {@code partitions}. */
    private Uni<List<StoredState>> storedStates(String table, Collection<Integer> partitions) {
        return pool.preparedQuery("SELECT rule_id, scope_key, state, partition_no FROM " + table + OWNED)
                .execute(Tuple.of((Object) partitions.toArray(Integer[]::new)))
                .map(rows -> {
                    List<StoredState> states = new ArrayList<>();
                    for (Row row : rows) {
                        states.add(new StoredState(
                                row.getString(0), row.getString(1), row.getString(2), row.getInteger(3)));
                    }
                    return states;
                });
    }

    /** The rule states of partitions other than {@code partitions} (held by other instances), for reading. */
    public Uni<List<StoredState>> statesOutside(Collection<Integer> partitions) {
        return pool.preparedQuery("SELECT rule_id, scope_key, state, partition_no FROM rule_states"
                        + " WHERE partition_no IS NOT NULL AND NOT (partition_no = ANY($1))")
                .execute(Tuple.of((Object) partitions.toArray(Integer[]::new)))
                .map(rows -> {
                    List<StoredState> states = new ArrayList<>();
                    for (Row row : rows) {
                        states.add(new StoredState(
                                row.getString(0), row.getString(1), row.getString(2), row.getInteger(3)));
                    }
                    return states;
                });
    }

    /** The guard's stored verdicts (JSON) of the flags of partitions other than {@code partitions}. */
    public Uni<Map<String, String>> verdictsOutside(Collection<Integer> partitions) {
        return pool.preparedQuery("SELECT flag_key, verdict FROM guard_stages WHERE verdict IS NOT NULL"
                        + " AND partition_no IS NOT NULL AND NOT (partition_no = ANY($1))")
                .execute(Tuple.of((Object) partitions.toArray(Integer[]::new)))
                .map(rows -> {
                    Map<String, String> verdicts = new HashMap<>();
                    rows.forEach(row -> verdicts.put(row.getString(0), row.getString(1)));
                    return verdicts;
                });
    }

    /** The partition of every flag with stored guard evidence or a waiting cohort window in {@code partitions}. */
    public Uni<Map<String, Integer>> flagPartitions(Collection<Integer> partitions) {
        return pool.preparedQuery("SELECT flag_key, partition_no FROM guard_stages WHERE partition_no = ANY($1)"
                        + " UNION SELECT flag_key, partition_no FROM cohort_windows WHERE partition_no = ANY($1)")
                .execute(Tuple.of((Object) partitions.toArray(Integer[]::new)))
                .map(rows -> {
                    Map<String, Integer> flags = new HashMap<>();
                    rows.forEach(row -> flags.put(row.getString(0), row.getInteger(1)));
                    return flags;
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

    public Uni<List<CohortWindowRow>> cohortWindows(Collection<Integer> partitions) {
        return pool.preparedQuery(
                        "SELECT flag_key, window_kind, window_start, window_end, cohort, variant, payload FROM cohort_windows"
                                + OWNED)
                .execute(Tuple.of((Object) partitions.toArray(Integer[]::new)))
                .map(rows -> {
                    List<CohortWindowRow> windows = new ArrayList<>();
                    for (Row row : rows) {
                        windows.add(new CohortWindowRow(
                                row.getString(0),
                                row.getString(1),
                                row.getLong(2),
                                row.getLong(3),
                                row.getString(4),
                                row.getString(5),
                                row.getBuffer(6).getBytes()));
                    }
                    return windows;
                });
    }

    /**
     * Forgets cohort windows of {@code partitions} (and, with {@code unknownToo}, those stored before partitions were
     * recorded) that ended before {@code endBefore} (epoch millis) without finding their counterpart.
     */
    public Uni<Integer> pruneCohortWindows(long endBefore, Collection<Integer> partitions, boolean unknownToo) {
        return pool.preparedQuery("DELETE FROM cohort_windows WHERE window_end < $1"
                        + " AND (partition_no = ANY($2) OR ($3 AND partition_no IS NULL))")
                .execute(Tuple.of(endBefore, partitions.toArray(Integer[]::new), unknownToo))
                .map(rows -> rows.rowCount());
    }

    /** The guard's stored evidence of the flags of {@code partitions} and of those stored before partitions were. */
    public Uni<List<EvaluationWrite.GuardStageRow>> guardStages(Collection<Integer> partitions) {
        return pool.preparedQuery("SELECT flag_key, stage_version, evidence, verdict FROM guard_stages" + OWNED)
                .execute(Tuple.of((Object) partitions.toArray(Integer[]::new)))
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

    /**
     * Writes one batch's changes atomically; returns the alerts actually inserted (a replayed alert id is not). Fails
     * with {@link PartitionFencedException}, writing nothing, when the writer no longer holds one of its partitions.
     */
    public Uni<List<StoredAlert>> write(EvaluationWrite write) {
        return pool.withTransaction(connection -> {
                    OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
                    List<Map.Entry<Integer, Long>> held =
                            List.copyOf(write.fence().epochs().entrySet());
                    Uni<Void> fence = connection
                            .preparedQuery(FENCE)
                            .execute(Tuple.of(
                                    write.topic(),
                                    write.fence().owner(),
                                    held.stream().map(Map.Entry::getKey).toArray(Integer[]::new),
                                    held.stream().map(Map.Entry::getValue).toArray(Long[]::new)))
                            .invoke(rows -> {
                                long count = rows.iterator().next().getLong(0);
                                if (count != held.size()) {
                                    throw new PartitionFencedException(
                                            write.fence().owner() + " holds " + count + " of its " + held.size()
                                                    + " partitions of " + write.topic() + " no more");
                                }
                            })
                            .replaceWithVoid();
                    List<Tuple> upserts = write.states().stream()
                            .map(s -> Tuple.of(s.ruleId(), s.scopeKey(), s.json(), now, s.partition()))
                            .toList();
                    List<Tuple> deletes = write.idleStates().stream()
                            .map(s -> Tuple.of(s.ruleId(), s.scopeKey()))
                            .toList();
                    List<Tuple> watermarks = write.watermarks().stream()
                            .map(s -> Tuple.tuple(Arrays.asList(
                                    s.ruleId(),
                                    s.scopeKey(),
                                    s.json(),
                                    s.lastWindowEnd().atOffset(ZoneOffset.UTC),
                                    s.partition(),
                                    now)))
                            .toList();
                    List<Tuple> forgotten = write.forgottenWatermarks().stream()
                            .map(s -> Tuple.of(s.ruleId(), s.scopeKey()))
                            .toList();
                    List<Tuple> waiting = write.cohortWindows().stream()
                            .map(w -> Tuple.tuple(Arrays.asList(
                                    w.flagKey(),
                                    w.windowKind(),
                                    w.windowStart(),
                                    w.windowEnd(),
                                    w.cohort(),
                                    w.variant(),
                                    Buffer.buffer(w.payload()),
                                    write.flagPartitions().get(w.flagKey()))))
                            .toList();
                    List<Tuple> paired = write.pairedCohortWindows().stream()
                            .map(w -> Tuple.of(
                                    w.flagKey(),
                                    w.windowKind(),
                                    w.windowStart(),
                                    w.windowEnd(),
                                    w.cohort(),
                                    w.variant()))
                            .toList();
                    List<Tuple> guardUpserts = write.guardStages().stream()
                            .filter(g -> g.evidence() != null)
                            .map(g -> Tuple.tuple(Arrays.asList(
                                    g.flagKey(),
                                    g.stageVersion(),
                                    g.evidence(),
                                    g.verdict(),
                                    now,
                                    write.flagPartitions().get(g.flagKey()))))
                            .toList();
                    List<Tuple> guardDeletes = write.guardStages().stream()
                            .filter(g -> g.evidence() == null)
                            .map(g -> Tuple.of(g.flagKey()))
                            .toList();
                    List<Tuple> positions = write.positions().entrySet().stream()
                            .map(p -> Tuple.of(write.topic(), p.getKey(), p.getValue(), now))
                            .toList();
                    // Sent back to back on the transaction's connection (the client pipelines them), so the batch costs
                    // about
                    // one round trip instead of one per statement; PostgreSQL still runs them in this order. All are
                    // awaited
                    // before the transaction ends, so none is sent after a failure has rolled it back. The fence goes
                    // first:
                    // its
                    // row locks make a claim of these partitions wait for this commit.
                    Uni<Void> states = batch(connection, UPSERT_STATE, upserts);
                    Uni<Void> idle = batch(connection, DELETE_STATE, deletes);
                    Uni<Void> marks = batch(connection, UPSERT_WATERMARK, watermarks);
                    Uni<Void> unmarked = batch(connection, DELETE_WATERMARK, forgotten);
                    Uni<Void> pairedHalves = batch(connection, DELETE_COHORT_WINDOW, paired);
                    Uni<Void> waitingHalves = batch(connection, UPSERT_COHORT_WINDOW, waiting);
                    Uni<Void> fingerprintLocks = lockFingerprints(connection, write.alerts());
                    Uni<List<StoredAlert>> alerts = insertAlerts(
                                    connection, write.alerts(), write.fence().owner(), now)
                            .memoize()
                            .indefinitely();
                    Uni<Void> guard = batch(connection, UPSERT_GUARD_STAGE, guardUpserts);
                    Uni<Void> guardGone = batch(connection, DELETE_GUARD_STAGE, guardDeletes);
                    Uni<Void> offsets = batch(connection, UPSERT_POSITION, positions);
                    return Uni.join()
                            .all(
                                    fence,
                                    states,
                                    idle,
                                    marks,
                                    unmarked,
                                    pairedHalves,
                                    waitingHalves,
                                    fingerprintLocks,
                                    alerts.replaceWithVoid(),
                                    guard,
                                    guardGone,
                                    offsets)
                            .andCollectFailures()
                            .chain(() -> alerts);
                })
                .onFailure()
                .transform(EvaluationRepository::fenceOrItself);
    }

    /** The fence's refusal when it is among the failures of a write (the statements' failures are collected). */
    private static Throwable fenceOrItself(Throwable failure) {
        if (failure instanceof PartitionFencedException) {
            return failure;
        }
        if (failure instanceof CompositeException composite) {
            for (Throwable cause : composite.getCauses()) {
                if (fenceOrItself(cause) instanceof PartitionFencedException fenced) {
                    return fenced;
                }
            }
        }
        for (Throwable t = failure.getCause(); t != null && t != failure; t = t.getCause()) {
            if (t instanceof PartitionFencedException) {
                return t;
            }
        }
        return failure;
    }

    /** Takes the shared locks of the fingerprints of the batch's alerts, before they are inserted. */
    private static Uni<Void> lockFingerprints(SqlConnection connection, List<PendingAlert> alerts) {
        if (alerts.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        String[] fingerprints = alerts.stream()
                .map(alert -> alert.event().getFingerprint())
                .distinct()
                .sorted()
                .toArray(String[]::new);
        return connection
                .preparedQuery(LOCK_FINGERPRINTS)
                .execute(Tuple.of(fingerprints))
                .replaceWithVoid();
    }

    /**
     * Inserts the batch's alerts in one batched statement; a transition stored before (same alert id, e.g. after a
     * replay) returns no row and joins no notification group again.
     */
    private Uni<List<StoredAlert>> insertAlerts(
            SqlConnection connection, List<PendingAlert> alerts, String storedBy, OffsetDateTime now) {
        if (alerts.isEmpty()) {
            return Uni.createFrom().item(List.of());
        }
        List<Tuple> rows =
                alerts.stream().map(alert -> alertRow(alert, storedBy)).toList();
        return connection.preparedQuery(INSERT_ALERT).executeBatch(rows).chain(result -> {
            Map<String, Long> seqs = new HashMap<>();
            for (RowSet<Row> set = result; set != null; set = set.next()) {
                for (Row row : set) {
                    seqs.put(row.getString(1), row.getLong(0));
                }
            }
            List<PendingAlert> stored = new ArrayList<>();
            List<Long> storedSeqs = new ArrayList<>();
            Map<String, Tuple> groups = new TreeMap<>();
            List<Tuple> members = new ArrayList<>();
            for (PendingAlert alert : alerts) {
                Long seq = seqs.get(alert.event().getAlertId());
                if (seq == null) {
                    continue;
                }
                stored.add(alert);
                storedSeqs.add(seq);
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
                    .chain(() -> behind(connection, stored, storedBy))
                    .map(behind -> {
                        List<StoredAlert> inserted = new ArrayList<>(stored.size());
                        for (int i = 0; i < stored.size(); i++) {
                            var event = stored.get(i).event();
                            inserted.add(new StoredAlert(
                                    storedSeqs.get(i), event.getAlertId(), behind.contains(event.getFingerprint())));
                        }
                        return inserted;
                    });
        });
    }

    /**
     * The fingerprints of {@code stored} with a transition not published yet that another instance stored (it may
     * have crashed before publishing it) or that came from outside: theirs wait for the outbox poll, which publishes
     * one fingerprint's transitions in stored order. This instance's own earlier transitions are in its relay's hands.
     */
    private static Uni<Set<String>> behind(SqlConnection connection, List<PendingAlert> stored, String storedBy) {
        if (stored.isEmpty()) {
            return Uni.createFrom().item(Set.of());
        }
        String[] fingerprints = stored.stream()
                .map(alert -> alert.event().getFingerprint())
                .distinct()
                .toArray(String[]::new);
        return connection
                .preparedQuery(BEHIND)
                .execute(Tuple.of(fingerprints, storedBy))
                .map(rows -> {
                    Set<String> behind = new HashSet<>();
                    rows.forEach(row -> behind.add(row.getString(0)));
                    return behind;
                });
    }

    private static Tuple alertRow(PendingAlert alert, String storedBy) {
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
                Buffer.buffer(alert.avro()),
                storedBy));
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
