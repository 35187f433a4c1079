package dev.rollguard.alert.repository;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Webhook deliveries: the queue of the dispatcher and the record of failures. */
@ApplicationScoped
public class DeliveryRepository {

    /**
     * One notification to one webhook: of alerts ({@code alertSeq}, {@code alertId} name the newest it carries) or of
     * an automatic action ({@code actionId}); {@code endpoint} names which of the receiver's endpoints takes it.
     */
    public record DeliveryRow(
            long id,
            String webhookId,
            String groupKey,
            Long alertSeq,
            String alertId,
            String actionId,
            String endpoint,
            String status,
            int attempts,
            Integer lastStatusCode,
            String lastError,
            String payload,
            Instant createdAt,
            Instant updatedAt,
            Instant deliveredAt) {}

    private static final String COLUMNS = "id, webhook_id, alert_seq, alert_id, status, attempts, last_status_code,"
            + " last_error, payload, created_at, updated_at, delivered_at, group_key, action_id, endpoint";

    /**
     * Marks the group of a failed delivery changed, due at the latest one group interval from now; a group waiting for
     * the delivery of its final notification ({@link NotificationGroupRepository}) too. Not when a later notification
     * of the group is pending or was delivered: it carries the group's state as it is now (the resolved alerts of the
     * failed one among them, unless delivered since), and its own outcome decides. Sent again here, a resolution
     * pending in it would be written a second time, and delivered after the first was.
     */
    private static final String NOTIFY_GROUP_AGAIN =
            """
            UPDATE notification_groups g SET dirty = true,
                next_flush_at = LEAST(g.next_flush_at, $2::timestamptz + w.group_interval_ms * INTERVAL '1 millisecond')
            FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
            WHERE d.id = $1 AND g.webhook_id = d.webhook_id AND g.group_key = d.group_key
              AND NOT EXISTS (SELECT 1 FROM webhook_deliveries o
                              WHERE o.webhook_id = d.webhook_id AND o.group_key = d.group_key AND o.id > d.id
                                AND o.notification_id IS DISTINCT FROM d.notification_id
                                AND o.status <> 'FAILED')""";

    /**
     * Forgets the group whose final notification this delivery was, once none of its deliveries is pending (a
     * PagerDuty receiver gets one per alert): unless an alert joined it meanwhile, the group waited only for this.
     */
    private static final String FORGET_FINISHED_GROUP =
            """
            DELETE FROM notification_groups g USING webhook_deliveries d
            WHERE d.id = $1 AND g.webhook_id = d.webhook_id AND g.group_key = d.group_key
              AND g.next_flush_at = 'infinity'
              AND NOT EXISTS (SELECT 1 FROM webhook_deliveries o
                              WHERE o.webhook_id = d.webhook_id AND o.group_key = d.group_key AND o.status = 'PENDING')""";

    /**
     * Locks the group of a notification whose delivery ended, first: the outcomes of one notification's deliveries (a
     * PagerDuty receiver gets one per alert), ending at once on several instances, are recorded one after the other,
     * so the last sees none of the others pending; and a flush or an evaluation of the group waits for it.
     */
    private static final String LOCK_GROUP =
            """
            SELECT 1 FROM notification_groups g JOIN webhook_deliveries d
                ON g.webhook_id = d.webhook_id AND g.group_key = d.group_key
            WHERE d.id = $1 FOR UPDATE OF g""";

    /**
     * Forgets the resolved alerts a delivered notification (or one that failed for good) carried, once none of its
     * deliveries is pending: the receiver heard them resolve, whichever of the notifications carrying them it was. An
     * alert that changed since (fired again) is not carried by it any more.
     */
    private static final String FORGET_CARRIED_RESOLVED =
            """
            DELETE FROM notification_group_alerts a USING webhook_deliveries d, notification_groups g
            WHERE d.id = $1 AND g.webhook_id = d.webhook_id AND g.group_key = d.group_key
              AND a.webhook_id = g.webhook_id AND a.group_id = g.group_id
              AND d.notification_id = ANY (a.notified_in) AND NOT a.firing
              AND NOT EXISTS (SELECT 1 FROM webhook_deliveries o
                              WHERE o.notification_id = d.notification_id AND o.status = 'PENDING')""";

    /**
     * A notification that failed for a reason that may pass no longer counts as carrying its resolved alerts: they
     * stay for the group's next notification, and another delivery of the same notification delivered later (one per
     * alert for PagerDuty) does not forget them.
     */
    private static final String CARRY_RESOLVED_AGAIN =
            """
            UPDATE notification_group_alerts a SET notified_in = array_remove(a.notified_in, d.notification_id)
            FROM webhook_deliveries d, notification_groups g
            WHERE d.id = $1 AND g.webhook_id = d.webhook_id AND g.group_key = d.group_key
              AND a.webhook_id = g.webhook_id AND a.group_id = g.group_id
              AND d.notification_id = ANY (a.notified_in)""";

    private final Pool pool;

    public DeliveryRepository(Pool pool) {
        this.pool = pool;
    }

    /** A pending delivery nobody holds, or whose holder's lease ended, or that {@code $4} holds itself. */
    private static final String CLAIMABLE =
            "status = 'PENDING' AND (claimed_until IS NULL OR claimed_until < $6 OR claimed_by = $4)";

    /**
     * Takes the oldest pending deliveries to the given webhooks for {@code instance} until {@code until}, skipping
     * those in flight, at most {@code perWebhook} per webhook so that a backlog towards a dead receiver never hides the
     * deliveries to the others. A delivery is taken by one instance at a time: when two take at once, the second
     * finds the row taken when it gets its lock (the condition is checked again on the updated row) and leaves it.
     */
    public Uni<List<DeliveryRow>> claim(
            int perWebhook, List<String> webhookIds, List<Long> inFlight, String instance, Instant until) {
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        return pool.preparedQuery("UPDATE webhook_deliveries SET claimed_by = $4, claimed_until = $5 WHERE id IN"
                        + " (SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY webhook_id ORDER BY id) AS rank"
                        + " FROM webhook_deliveries WHERE " + CLAIMABLE + " AND webhook_id = ANY($1)"
                        + " AND NOT (id = ANY($2))) pending WHERE rank <= $3) AND " + CLAIMABLE
                        + " RETURNING " + COLUMNS)
                .execute(Tuple.tuple(Arrays.asList(
                        webhookIds.toArray(String[]::new),
                        inFlight.toArray(Long[]::new),
                        perWebhook,
                        instance,
                        until.atOffset(ZoneOffset.UTC),
                        now)))
                .map(rows -> rows(rows).stream()
                        .sorted(java.util.Comparator.comparingLong(DeliveryRow::id))
                        .toList());
    }

    /**
     * Records how a delivery ended. With {@code notifyAgain} (it failed for a reason that may pass: the receiver
     * unreachable, 5xx, 408, 429), a notification of a group leaves its group changed, to be notified again with the
     * group's state at the group's next interval, as an Alertmanager does (a notification that failed is not one the
     * receiver had): a receiver down for a deploy gets the page minutes later, not after the repeat interval; unless a
     * later notification of the group is pending or delivered, which carries the group's state instead. The
     * resolved alerts it carried stay in the group, so that next notification carries them again; delivered, or
     * failed for a reason that will not pass, they are forgotten. A group's final notification (its resolution) is
     * sent again the same way until it is delivered, or until one written the repeat interval after the alerts
     * resolved has carried them (then a flush drops them, and the group with them); delivered, or failed for a reason that will not pass, its group is
     * forgotten.
     */
    public Uni<Void> finish(
            long id, boolean delivered, boolean notifyAgain, int attempts, Integer statusCode, String error) {
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        return pool.withTransaction(connection -> connection
                .preparedQuery(LOCK_GROUP)
                .execute(Tuple.of(id))
                .chain(() -> connection
                        .preparedQuery("UPDATE webhook_deliveries SET status = $2, attempts = attempts + $3,"
                                + " last_status_code = $4, last_error = $5, updated_at = $6, delivered_at = $7,"
                                + " claimed_by = NULL, claimed_until = NULL WHERE id = $1")
                        .execute(Tuple.tuple(Arrays.asList(
                                id,
                                delivered ? "DELIVERED" : "FAILED",
                                attempts,
                                statusCode,
                                error,
                                now,
                                delivered ? now : null))))
                .chain(() -> delivered || !notifyAgain
                        ? connection
                                .preparedQuery(FORGET_CARRIED_RESOLVED)
                                .execute(Tuple.of(id))
                                .chain(() -> connection
                                        .preparedQuery(FORGET_FINISHED_GROUP)
                                        .execute(Tuple.of(id)))
                                .replaceWithVoid()
                        : connection
                                .preparedQuery(NOTIFY_GROUP_AGAIN)
                                .execute(Tuple.of(id, now))
                                .chain(() -> connection
                                        .preparedQuery(CARRY_RESOLVED_AGAIN)
                                        .execute(Tuple.of(id)))
                                // A later final notification delivered while this one was pending left the group
                                // waiting for this outcome only.
                                .chain(() -> connection
                                        .preparedQuery(FORGET_FINISHED_GROUP)
                                        .execute(Tuple.of(id)))
                                .replaceWithVoid()));
    }

    public Uni<List<DeliveryRow>> list(String webhookId, String status, int limit) {
        String sql = "SELECT " + COLUMNS + " FROM webhook_deliveries WHERE webhook_id = $1"
                + (status == null ? "" : " AND status = $3") + " ORDER BY id DESC LIMIT $2";
        Tuple params = status == null ? Tuple.of(webhookId, limit) : Tuple.of(webhookId, limit, status);
        return pool.preparedQuery(sql).execute(params).map(DeliveryRepository::rows);
    }

    /** Queues a delivery again (e.g. a FAILED one, after the receiver was fixed); false when it does not exist. */
    public Uni<Boolean> requeue(String webhookId, long id) {
        return pool.preparedQuery("UPDATE webhook_deliveries SET status = 'PENDING', updated_at = $3,"
                        + " claimed_by = NULL, claimed_until = NULL"
                        + " WHERE webhook_id = $1 AND id = $2 AND status <> 'PENDING'")
                .execute(Tuple.of(webhookId, id, OffsetDateTime.now(ZoneOffset.UTC)))
                .map(rows -> rows.rowCount() == 1);
    }

    private static List<DeliveryRow> rows(io.vertx.mutiny.sqlclient.RowSet<Row> rows) {
        List<DeliveryRow> list = new ArrayList<>(rows.size());
        for (Row row : rows) {
            list.add(new DeliveryRow(
                    row.getLong(0),
                    row.getString(1),
                    row.getString(12),
                    row.getLong(2),
                    row.getString(3),
                    row.getString(13),
                    row.getString(14),
                    row.getString(4),
                    row.getInteger(5),
                    row.getInteger(6),
                    row.getString(7),
                    row.getString(8),
                    instant(row.getOffsetDateTime(9)),
                    instant(row.getOffsetDateTime(10)),
                    instant(row.getOffsetDateTime(11))));
        }
        return list;
    }

    private static Instant instant(OffsetDateTime time) {
        return time == null ? null : time.toInstant();
    }
}
