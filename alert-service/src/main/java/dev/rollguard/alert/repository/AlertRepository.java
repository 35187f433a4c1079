package dev.rollguard.alert.repository;

import dev.rollguard.alert.domain.TransitionDelivery;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** Reads of the alert history and the outbox side of the alerts table. */
@ApplicationScoped
public class AlertRepository {

    /** A stored transition: its sequence number (SSE id), JSON view and, for the relay, its Avro bytes. */
    public record AlertRow(long seq, String fingerprint, String json, byte[] avro) {}

    /** A stored transition as the API shows it: its sequence number (SSE id), JSON view and delivery to Kafka. */
    public record ViewRow(long seq, String fingerprint, String json, TransitionDelivery delivery) {}

    /**
     * The seed of the transaction-scoped advisory lock on one fingerprint ({@code hashtextextended(fingerprint,
     * seed)}): taken exclusively to decide on an alert's latest transition (a received alert, a redelivery) and shared
     * by the evaluator's commits, so a redelivery never races a new transition of its alert.
     */
    public static final int FINGERPRINT_LOCK_SEED = 17;

    private static final String VIEW_COLUMNS =
            "seq, fingerprint, payload_json, published_at, dead_lettered_at, dead_letter_reason";
    private static final String FINGERPRINT = "SELECT fingerprint FROM alerts WHERE seq = $1";
    private static final String LOCK_FINGERPRINT =
            "SELECT pg_advisory_xact_lock(hashtextextended($1, " + FINGERPRINT_LOCK_SEED + "))";
    private static final String REDELIVERABLE =
            """
            SELECT a.dead_lettered_at IS NOT NULL,
                   EXISTS (SELECT 1 FROM alerts later WHERE later.fingerprint = a.fingerprint AND later.seq > a.seq)
            FROM alerts a WHERE a.seq = $1 FOR NO KEY UPDATE SKIP LOCKED""";
    /**
     * Back in the outbox as stored by no instance: every instance's poll takes it at once, and every instance's commit
     * of its alert's next transition waits for the poll, which sends them in stored order (the instance that stored
     * it would otherwise send its next commit at once, as it takes its own earlier transitions to be on their way).
     */
    private static final String REDELIVER = "UPDATE alerts SET dead_lettered_at = NULL, dead_letter_reason = NULL,"
            + " stored_by = NULL WHERE seq = $1 RETURNING " + VIEW_COLUMNS;

    private final Pool pool;

    public AlertRepository(Pool pool) {
        this.pool = pool;
    }

    /**
     * One round of the outbox poll, in one transaction: the oldest unpublished transitions this instance may relay
     * (its own, those of no instance such as alerts received from outside, and another instance's once they have
     * stayed unpublished for {@code takeoverAfter}: that instance is gone) are locked ({@code FOR NO KEY UPDATE SKIP
     * LOCKED}, so the polls of two instances never take the same one, while the {@code FOR KEY SHARE} lock that
     * inserting a webhook delivery takes on its alert row does not hide the row from the poll), handed to {@code send}
     * with the earlier transitions of their fingerprints that are unpublished and not taken ({@link Round#untaken}:
     * another instance's within {@code takeoverAfter}, or locked by another poll), and those it settled are marked:
     * published, or dead-lettered with their reason. Returns the rows taken.
     */
    public Uni<List<AlertRow>> relay(
            String instance, Duration takeoverAfter, int limit, Function<Round, Uni<Settled>> send) {
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        return pool.withTransaction(connection -> connection
                .preparedQuery("SELECT seq, fingerprint, payload_json, payload_avro FROM alerts WHERE " + UNSETTLED
                        + " AND (stored_by IS NULL OR stored_by = $1 OR emitted_at < $2)"
                        + " ORDER BY seq LIMIT $3 FOR NO KEY UPDATE SKIP LOCKED")
                .execute(Tuple.of(instance, now.minus(takeoverAfter), limit))
                .map(AlertRepository::rows)
                .chain(rows -> untaken(connection, rows)
                        .chain(untaken -> send.apply(new Round(rows, untaken)))
                        .chain(settled -> markPublished(connection, now, settled.published())
                                .chain(() -> markDeadLettered(connection, now, settled.deadLettered())))
                        .replaceWith(rows)));
    }

    /**
     * The outbox: transitions neither published nor dead-lettered. Read through {@code alerts_unpublished} (published
     * is null): dead-lettered rows are few, so the index still narrows a poll to the outbox.
     */
    public static final String UNSETTLED = "published_at IS NULL AND dead_lettered_at IS NULL";

    /** What a poll round settled: the transitions Kafka acknowledged, and those it can never take. */
    public record Settled(List<Long> published, List<DeadLetter> deadLettered) {}

    /** A transition that can never be sent, and why: kept in the outbox table as settled, never sent again. */
    public record DeadLetter(long seq, String fingerprint, String reason) {}

    private static Uni<Void> markPublished(SqlConnection connection, OffsetDateTime now, List<Long> seqs) {
        return seqs.isEmpty()
                ? Uni.createFrom().voidItem()
                : connection
                        .preparedQuery("UPDATE alerts SET published_at = $1 WHERE seq = ANY($2)")
                        .execute(Tuple.of(now, seqs.toArray(Long[]::new)))
                        .replaceWithVoid();
    }

    private static Uni<Void> markDeadLettered(SqlConnection connection, OffsetDateTime now, List<DeadLetter> letters) {
        return letters.isEmpty()
                ? Uni.createFrom().voidItem()
                : connection
                        .preparedQuery("UPDATE alerts SET dead_lettered_at = $1, dead_letter_reason = $2 WHERE seq = $3"
                                + " AND published_at IS NULL")
                        .executeBatch(letters.stream()
                                .map(letter -> Tuple.of(now, letter.reason(), letter.seq()))
                                .toList())
                        .replaceWithVoid();
    }

    /**
     * The transitions one poll round took, oldest first, and per fingerprint the sequence numbers of the unpublished
     * transitions before its last one that the round did not take (dead-lettered ones count as settled).
     */
    public record Round(List<AlertRow> rows, Map<String, List<Long>> untaken) {}

    private static Uni<Map<String, List<Long>>> untaken(SqlConnection connection, List<AlertRow> rows) {
        if (rows.isEmpty()) {
            return Uni.createFrom().item(Map.of());
        }
        String[] fingerprints =
                rows.stream().map(AlertRow::fingerprint).distinct().toArray(String[]::new);
        Long[] taken = rows.stream().map(AlertRow::seq).toArray(Long[]::new);
        return connection
                .preparedQuery("SELECT seq, fingerprint FROM alerts WHERE " + UNSETTLED
                        + " AND fingerprint = ANY($1) AND seq < $2 AND NOT (seq = ANY($3)) ORDER BY seq")
                .execute(Tuple.of(fingerprints, rows.get(rows.size() - 1).seq(), taken))
                .map(found -> {
                    Map<String, List<Long>> untaken = new HashMap<>();
                    for (Row row : found) {
                        untaken.computeIfAbsent(row.getString(1), k -> new ArrayList<>())
                                .add(row.getLong(0));
                    }
                    return untaken;
                });
    }

    public Uni<Void> markPublished(List<Long> seqs) {
        return pool.preparedQuery("UPDATE alerts SET published_at = $1 WHERE seq = ANY($2)")
                .execute(Tuple.of(OffsetDateTime.now(ZoneOffset.UTC), seqs.toArray(Long[]::new)))
                .replaceWithVoid();
    }

    /** Transitions after {@code seq}, oldest first: SSE replay and live feed. */
    public Uni<List<ViewRow>> after(long seq, int limit) {
        return pool.preparedQuery("SELECT " + VIEW_COLUMNS + " FROM alerts WHERE seq > $1 ORDER BY seq LIMIT $2")
                .execute(Tuple.of(seq, limit))
                .map(AlertRepository::viewRows);
    }

    public Uni<Long> lastSeq() {
        return pool.query("SELECT COALESCE(MAX(seq), 0) FROM alerts")
                .execute()
                .map(rows -> rows.iterator().next().getLong(0));
    }

    /** Transitions matching the filters, newest first. */
    public Uni<List<ViewRow>> history(AlertQuery query) {
        List<Object> params = new ArrayList<>();
        String where = where(query, params, true);
        params.add(query.limit());
        return pool.preparedQuery("SELECT " + VIEW_COLUMNS + " FROM alerts" + where + " ORDER BY seq DESC LIMIT $"
                        + params.size())
                .execute(Tuple.tuple(params))
                .map(AlertRepository::viewRows);
    }

    /** Alerts whose latest transition is FIRING, newest first. */
    public Uni<List<ViewRow>> active(AlertQuery query) {
        List<Object> params = new ArrayList<>();
        String where = where(query, params, false);
        params.add(query.limit());
        String sql = "SELECT " + VIEW_COLUMNS + " FROM (SELECT DISTINCT ON (fingerprint) status, " + VIEW_COLUMNS
                + " FROM alerts" + where + " ORDER BY fingerprint, seq DESC) latest"
                + " WHERE status = 'FIRING' ORDER BY seq DESC LIMIT $" + params.size();
        return pool.preparedQuery(sql).execute(Tuple.tuple(params)).map(AlertRepository::viewRows);
    }

    /** What a request to send a dead-lettered transition again found. */
    public enum RedeliveryOutcome {
        /** Back in the outbox. */
        REDELIVERED,
        /** No transition of that sequence number. */
        NOT_FOUND,
        /** Published, or still in the outbox. */
        NOT_DEAD_LETTERED,
        /** A later transition of its alert is stored: it would reach the topic after its alert's newer state. */
        NOT_LATEST
    }

    /** The outcome and the transition as it is now (null when not found). */
    public record Redelivery(RedeliveryOutcome outcome, ViewRow row) {}

    /**
     * Puts a dead-lettered transition back in the outbox when it is still its alert's latest, in one transaction
     * under the fingerprint's lock ({@link #FINGERPRINT_LOCK_SEED}): two requests for it, or a request and a commit
     * of a new transition of its alert, are decided one after the other, each reading what the other committed.
     */
    public Uni<Redelivery> redeliver(long seq) {
        return pool.withTransaction(connection -> connection
                .preparedQuery(FINGERPRINT)
                .execute(Tuple.of(seq))
                .chain(found -> {
                    if (found.size() == 0) {
                        return Uni.createFrom().item(new Redelivery(RedeliveryOutcome.NOT_FOUND, null));
                    }
                    String fingerprint = found.iterator().next().getString(0);
                    // The check is a statement of its own, after the lock: its snapshot holds whatever a
                    // transaction that held the lock before committed.
                    return connection
                            .preparedQuery(LOCK_FINGERPRINT)
                            .execute(Tuple.of(fingerprint))
                            .chain(() -> connection.preparedQuery(REDELIVERABLE).execute(Tuple.of(seq)))
                            .chain(checked -> {
                                if (checked.size() == 0) {
                                    // Locked by a poll round (only the outbox's rows are), which is sending it
                                    // or marking it: not dead-lettered now. Waiting for the round would hold the
                                    // alert's lock, and every commit of the alert behind it, for its sends.
                                    return current(connection, seq, RedeliveryOutcome.NOT_DEAD_LETTERED);
                                }
                                Row row = checked.iterator().next();
                                if (!row.getBoolean(0)) {
                                    return current(connection, seq, RedeliveryOutcome.NOT_DEAD_LETTERED);
                                }
                                if (row.getBoolean(1)) {
                                    return current(connection, seq, RedeliveryOutcome.NOT_LATEST);
                                }
                                return connection
                                        .preparedQuery(REDELIVER)
                                        .execute(Tuple.of(seq))
                                        .map(updated -> new Redelivery(
                                                RedeliveryOutcome.REDELIVERED,
                                                viewRows(updated).get(0)));
                            });
                }));
    }

    private static Uni<Redelivery> current(SqlConnection connection, long seq, RedeliveryOutcome outcome) {
        return connection
                .preparedQuery("SELECT " + VIEW_COLUMNS + " FROM alerts WHERE seq = $1")
                .execute(Tuple.of(seq))
                .map(rows -> new Redelivery(outcome, viewRows(rows).get(0)));
    }

    private static String where(AlertQuery query, List<Object> params, boolean history) {
        List<String> conditions = new ArrayList<>();
        add(conditions, params, "severity", query.severity());
        add(conditions, params, "rule_id", query.ruleId());
        add(conditions, params, "flag_key", query.flagKey());
        add(conditions, params, "scope_key", query.scopeKey());
        add(conditions, params, "fingerprint", query.fingerprint());
        if (history) {
            add(conditions, params, "status", query.status());
            if (query.delivery() != null) {
                conditions.add(
                        switch (query.delivery()) {
                            case PENDING -> UNSETTLED;
                            case PUBLISHED -> "published_at IS NOT NULL";
                            // The same rows (a row is never both published and dead-lettered, V14's
                            // check), read through alerts_unpublished rather than back through the table.
                            case DEAD_LETTERED -> "published_at IS NULL AND dead_lettered_at IS NOT NULL";
                        });
            }
            if (query.since() != null) {
                params.add(query.since().atOffset(ZoneOffset.UTC));
                conditions.add("emitted_at >= $" + params.size());
            }
            if (query.until() != null) {
                params.add(query.until().atOffset(ZoneOffset.UTC));
                conditions.add("emitted_at < $" + params.size());
            }
            if (query.before() != null) {
                params.add(query.before());
                conditions.add("seq < $" + params.size());
            }
        }
        return conditions.isEmpty() ? "" : " WHERE " + String.join(" AND ", conditions);
    }

    private static void add(List<String> conditions, List<Object> params, String column, String value) {
        if (value != null) {
            params.add(value);
            conditions.add(column + " = $" + params.size());
        }
    }

    private static List<ViewRow> viewRows(io.vertx.mutiny.sqlclient.RowSet<Row> rows) {
        List<ViewRow> list = new ArrayList<>(rows.size());
        for (Row row : rows) {
            list.add(new ViewRow(
                    row.getLong("seq"),
                    row.getString("fingerprint"),
                    row.getString("payload_json"),
                    TransitionDelivery.of(
                            instant(row, "published_at"),
                            instant(row, "dead_lettered_at"),
                            row.getString("dead_letter_reason"))));
        }
        return list;
    }

    private static Instant instant(Row row, String column) {
        OffsetDateTime value = row.getOffsetDateTime(column);
        return value == null ? null : value.toInstant();
    }

    private static List<AlertRow> rows(io.vertx.mutiny.sqlclient.RowSet<Row> rows) {
        List<AlertRow> list = new ArrayList<>(rows.size());
        for (Row row : rows) {
            var avro = row.getValue(3) == null ? null : row.getBuffer(3).getBytes();
            list.add(new AlertRow(row.getLong(0), row.getString(1), row.getString(2), avro));
        }
        return list;
    }
}
