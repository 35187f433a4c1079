package dev.rollguard.alert.repository;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

/**
 * Webhook notification groups: the groups due for a flush are claimed with {@code FOR UPDATE SKIP LOCKED}, so
 * instances sharing the database never flush one group twice, and each flush writes its delivery, marks the resolved
 * alerts it carries with the notification's id and schedules the group's next flush in one transaction: a crash loses
 * or repeats nothing the outbox of deliveries would not.
 *
 * <p>A resolved alert stays in its group until a notification carrying it is delivered, or fails for a reason that
 * will not pass ({@link DeliveryRepository#finish}), as an Alertmanager keeps resolved alerts until a notification of
 * them succeeds: a notification that failed for a reason that may pass leaves its group changed, and the group's next
 * notification, a group interval later, carries the resolved alerts again with whatever still fires; until one
 * written the repeat interval after they resolved has carried them
 * ({@link dev.rollguard.alert.domain.grouping.GroupPolicy#stillCarries}), after which a flush drops them
 * ({@link Outcome#dropped}), once no notification that lists them is pending. Only a notification that carried an
 * alert brings its drop closer ({@link Outcome#carried}); one that left it out because it was silenced lists it too
 * ({@link Outcome#silenced}), so that, as an Alertmanager forgets resolved alerts after each flush, muted ones
 * included, its delivery forgets it unsent.
 *
 * <p>A group's final notification (its resolution, nothing firing any more) does not end the group: the group keeps
 * its resolved alerts and waits, due never by itself ({@code next_flush_at = 'infinity'}), for the outcome of that
 * delivery ({@link DeliveryRepository#finish}). Delivered, or failed for good, the group is forgotten; failed for a
 * reason that may pass, the group is changed again and its resolution is sent again at its next interval, until one
 * is delivered or the resolved alerts are dropped, and with them the group. An alert joining the group meanwhile makes
 * it due as a new group would be. A group in which a silenced alert still fires has no final notification: it lives
 * on, looked at every group interval, so that alert is notified once its silence ends.
 */
@ApplicationScoped
public class NotificationGroupRepository {

    /**
     * The latest transition of one alert of a group; {@code alert} is its webhook payload element (JSON), {@code
     * changedAt} when the transition was stored in the group, {@code carriedAt} when a notification last carried it
     * (resolved alerts only; null while none has), {@code pending} whether a notification that lists it (resolved
     * alerts only) is pending.
     */
    public record Member(
            String fingerprint,
            long seq,
            String alertId,
            boolean firing,
            String alert,
            Instant changedAt,
            Instant carriedAt,
            boolean pending) {}

    /** A group claimed for a flush; {@code groupLabels} is JSON. */
    public record ClaimedGroup(
            String webhookId,
            String groupId,
            String groupKey,
            String groupLabels,
            boolean dirty,
            Instant lastNotifiedAt,
            List<Member> members) {}

    /**
     * One request to queue for the group's webhook.
     *
     * @param endpoint which of the receiver's endpoints takes it; null for its main one
     * @param payload the request body
     */
    public record Outgoing(String endpoint, String payload) {}

    /**
     * What a flush did to a group.
     *
     * @param deliveries the requests that notify the group (one, or one per alert for PagerDuty); empty when none is
     *     due
     * @param carried the alerts the deliveries carry (those of the group neither silenced nor cut by {@code
     *     max-alerts-per-notification} or beyond what a Slack message shows); empty when none is due
     * @param silenced resolved alerts the deliveries leave out because they are silenced: forgotten once the
     *     notification is delivered, as if carried, but not counted as carried towards their drop
     * @param nextFlushAt when to look at the group again, or null when it is finished (nothing fires): forgotten now,
     *     or once its final notification, when this flush writes one, is delivered
     * @param dropped resolved alerts the group stops carrying, undelivered (carried long enough): forgotten now, and
     *     the deliveries do not carry them
     */
    public record Outcome(
            List<Outgoing> deliveries,
            List<Member> carried,
            List<Member> silenced,
            Instant nextFlushAt,
            List<Member> dropped) {

        /** No notification: the group is looked at again at {@code nextFlushAt}. */
        public static Outcome unnotified(Instant nextFlushAt, List<Member> dropped) {
            return new Outcome(List.of(), List.of(), List.of(), nextFlushAt, dropped);
        }

        public boolean notified() {
            return !deliveries.isEmpty();
        }
    }

    /** The result of one flush round. */
    public record Flushed(int claimed, int notifications) {}

    private static final String CLAIM =
            """
            SELECT webhook_id, group_id, group_key, group_labels, dirty, last_notified_at FROM notification_groups
            WHERE webhook_id = ANY($1) AND next_flush_at <= $2
            ORDER BY next_flush_at LIMIT $3 FOR UPDATE SKIP LOCKED""";
    private static final String MEMBERS =
            """
            SELECT webhook_id, group_id, fingerprint, alert_seq, alert_id, firing, alert, updated_at, carried_at,
                COALESCE(cardinality(notified_in), 0) > 0
            FROM notification_group_alerts
            WHERE webhook_id = ANY($1) AND group_id = ANY($2)""";
    private static final String INSERT_DELIVERY =
            """
            INSERT INTO webhook_deliveries (webhook_id, alert_seq, alert_id, status, attempts, payload, created_at,
                                            updated_at, group_key, endpoint, notification_id)
            VALUES ($1, $2, $3, 'PENDING', 0, $4, $5, $5, $6, $7, $8)""";
    /**
     * A resolved alert a notification lists: forgotten once one that lists it is delivered, not before; dropped once
     * one written the repeat interval after it resolved carried it ({@code $6}, null for one that left it out because
     * it was silenced). A flush with an earlier clock (another instance's) never moves {@code carried_at} back.
     */
    private static final String MARK_CARRIED =
            """
            UPDATE notification_group_alerts SET notified_in = array_append(notified_in, $5::uuid),
                carried_at = GREATEST(COALESCE(carried_at, $6), $6)
            WHERE webhook_id = $1 AND group_id = $2 AND fingerprint = $3 AND alert_seq = $4 AND NOT firing""";
    /** A resolved alert carried long enough without being delivered ({@link Outcome#dropped}). */
    private static final String DROP_RESOLVED =
            """
            DELETE FROM notification_group_alerts
            WHERE webhook_id = $1 AND group_id = $2 AND fingerprint = $3 AND alert_seq = $4 AND NOT firing""";

    private static final String FORGET_GROUP =
            "DELETE FROM notification_groups WHERE webhook_id = $1 AND group_id = $2";
    /** The group of a final notification keeps its resolved alerts and waits for the notification's delivery. */
    private static final String AWAIT_FINAL_DELIVERY =
            """
            UPDATE notification_groups SET dirty = false, next_flush_at = 'infinity', last_notified_at = $3
            WHERE webhook_id = $1 AND group_id = $2""";

    private static final String RESCHEDULE =
            """
            UPDATE notification_groups SET dirty = dirty AND $5, next_flush_at = $3,
                last_notified_at = COALESCE($4, last_notified_at)
            WHERE webhook_id = $1 AND group_id = $2""";

    private final Pool pool;

    public NotificationGroupRepository(Pool pool) {
        this.pool = pool;
    }

    /**
     * Claims up to {@code limit} groups of the given webhooks that are due at {@code now}, asks {@code decide} what
     * to do with each, and stores the outcome, all in one transaction.
     */
    public Uni<Flushed> flush(List<String> webhookIds, Instant now, int limit, Function<ClaimedGroup, Outcome> decide) {
        OffsetDateTime at = now.atOffset(ZoneOffset.UTC);
        return pool.withTransaction(connection -> connection
                .preparedQuery(CLAIM)
                .execute(Tuple.of(webhookIds.toArray(String[]::new), at, limit))
                .chain(claimed -> {
                    if (claimed.size() == 0) {
                        return Uni.createFrom().item(new Flushed(0, 0));
                    }
                    Map<String, Row> groups = new LinkedHashMap<>();
                    for (Row row : claimed) {
                        groups.put(row.getString(0) + "/" + row.getString(1), row);
                    }
                    String[] webhooks = groups.values().stream()
                            .map(r -> r.getString(0))
                            .distinct()
                            .toArray(String[]::new);
                    String[] ids = groups.values().stream()
                            .map(r -> r.getString(1))
                            .distinct()
                            .toArray(String[]::new);
                    return connection
                            .preparedQuery(MEMBERS)
                            .execute(Tuple.of(webhooks, ids))
                            .chain(rows -> {
                                Map<String, List<Member>> members = new LinkedHashMap<>();
                                for (Row row : rows) {
                                    String key = row.getString(0) + "/" + row.getString(1);
                                    if (groups.containsKey(key)) {
                                        members.computeIfAbsent(key, k -> new ArrayList<>())
                                                .add(new Member(
                                                        row.getString(2),
                                                        row.getLong(3),
                                                        row.getString(4),
                                                        row.getBoolean(5),
                                                        row.getString(6),
                                                        row.getOffsetDateTime(7).toInstant(),
                                                        instant(row.getOffsetDateTime(8)),
                                                        row.getBoolean(9)));
                                    }
                                }
                                return store(connection, groups, members, decide, at);
                            });
                }));
    }

    private static Uni<Flushed> store(
            SqlConnection connection,
            Map<String, Row> groups,
            Map<String, List<Member>> members,
            Function<ClaimedGroup, Outcome> decide,
            OffsetDateTime now) {
        List<Tuple> deliveries = new ArrayList<>();
        List<Tuple> carried = new ArrayList<>();
        List<Tuple> dropped = new ArrayList<>();
        List<Tuple> forgottenGroups = new ArrayList<>();
        List<Tuple> awaitingDelivery = new ArrayList<>();
        List<Tuple> rescheduled = new ArrayList<>();
        groups.forEach((key, row) -> {
            List<Member> list = members.getOrDefault(key, List.of());
            ClaimedGroup group = new ClaimedGroup(
                    row.getString(0),
                    row.getString(1),
                    row.getString(2),
                    row.getString(3),
                    row.getBoolean(4),
                    instant(row.getOffsetDateTime(5)),
                    List.copyOf(list));
            Outcome outcome = decide.apply(group);
            boolean finalNotification = outcome.notified() && outcome.nextFlushAt() == null;
            for (Member m : outcome.dropped()) {
                dropped.add(Tuple.of(group.webhookId(), group.groupId(), m.fingerprint(), m.seq()));
            }
            if (outcome.notified()) {
                UUID notification = UUID.randomUUID();
                Member newest = outcome.carried().stream()
                        .max((a, b) -> Long.compare(a.seq(), b.seq()))
                        .orElseThrow(() -> new IllegalStateException("a notification carries at least one alert"));
                for (Outgoing outgoing : outcome.deliveries()) {
                    deliveries.add(Tuple.tuple(Arrays.asList(
                            group.webhookId(),
                            newest.seq(),
                            newest.alertId(),
                            outgoing.payload(),
                            now,
                            group.groupKey(),
                            outgoing.endpoint(),
                            notification)));
                }
                for (Member m : outcome.carried()) {
                    if (!m.firing()) {
                        carried.add(Tuple.tuple(Arrays.asList(
                                group.webhookId(), group.groupId(), m.fingerprint(), m.seq(), notification, now)));
                    }
                }
                for (Member m : outcome.silenced()) {
                    carried.add(Tuple.tuple(Arrays.asList(
                            group.webhookId(), group.groupId(), m.fingerprint(), m.seq(), notification, null)));
                }
            }
            if (finalNotification) {
                awaitingDelivery.add(Tuple.of(group.webhookId(), group.groupId(), now));
            } else if (outcome.nextFlushAt() == null) {
                forgottenGroups.add(Tuple.of(group.webhookId(), group.groupId()));
            } else {
                rescheduled.add(Tuple.tuple(Arrays.asList(
                        group.webhookId(),
                        group.groupId(),
                        outcome.nextFlushAt().atOffset(ZoneOffset.UTC),
                        outcome.notified() ? now : null,
                        !outcome.notified())));
            }
        });
        return batch(connection, INSERT_DELIVERY, deliveries)
                .chain(() -> batch(connection, MARK_CARRIED, carried))
                .chain(() -> batch(connection, DROP_RESOLVED, dropped))
                .chain(() -> batch(connection, FORGET_GROUP, forgottenGroups))
                .chain(() -> batch(connection, AWAIT_FINAL_DELIVERY, awaitingDelivery))
                .chain(() -> batch(connection, RESCHEDULE, rescheduled))
                .replaceWith(new Flushed(groups.size(), deliveries.size()));
    }

    private static Instant instant(OffsetDateTime time) {
        return time == null ? null : time.toInstant();
    }

    private static Uni<Void> batch(SqlConnection connection, String sql, List<Tuple> tuples) {
        if (tuples.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return connection.preparedQuery(sql).executeBatch(tuples).replaceWithVoid();
    }

    /** Forgets a webhook's groups, e.g. after its grouping changed: its alerts group afresh from their next change. */
    public Uni<Void> forget(String webhookId) {
        return pool.preparedQuery("DELETE FROM notification_groups WHERE webhook_id = $1")
                .execute(Tuple.of(webhookId))
                .replaceWithVoid();
    }
}
