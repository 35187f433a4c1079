package dev.rollguard.alert.repository;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Notifications of automatic actions: each action is recorded once per source topic and action id, in the
 * transaction that queues its deliveries, so a record read again (redelivered, after a rebalance, by another
 * instance) queues nothing twice. Records that cannot be read are kept here as dead letters.
 */
@ApplicationScoped
public class ActionNotificationRepository {

    /** One request to queue for an action. */
    public record ActionDelivery(String webhookId, String endpoint, String payload) {}

    private static final String RECORD =
            """
            INSERT INTO notified_actions (topic, action_id, flag_key, action, created_at) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (topic, action_id) DO NOTHING""";
    private static final String INSERT_DELIVERY =
            """
            INSERT INTO webhook_deliveries (webhook_id, action_id, status, attempts, payload, created_at, updated_at,
                                            endpoint)
            VALUES ($1, $2, 'PENDING', 0, $3, $4, $4, $5)""";
    private static final String DEAD_LETTER =
            """
            INSERT INTO action_dead_letters (topic, topic_partition, topic_offset, record_key, record_value, reason,
                                             created_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (topic, topic_partition, topic_offset) DO NOTHING""";

    private final Pool pool;

    public ActionNotificationRepository(Pool pool) {
        this.pool = pool;
    }

    /**
     * Records the action and queues its deliveries, in one transaction; false (and nothing queued) when the action
     * was recorded before.
     */
    public Uni<Boolean> record(
            String topic, String actionId, String flagKey, String action, List<ActionDelivery> deliveries) {
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        return pool.withTransaction(connection -> connection
                .preparedQuery(RECORD)
                .execute(Tuple.of(topic, actionId, flagKey, action, now))
                .chain(recorded -> {
                    if (recorded.rowCount() == 0) {
                        return Uni.createFrom().item(false);
                    }
                    if (deliveries.isEmpty()) {
                        return Uni.createFrom().item(true);
                    }
                    List<Tuple> rows = new ArrayList<>(deliveries.size());
                    for (ActionDelivery d : deliveries) {
                        rows.add(Tuple.tuple(Arrays.asList(d.webhookId(), actionId, d.payload(), now, d.endpoint())));
                    }
                    return connection
                            .preparedQuery(INSERT_DELIVERY)
                            .executeBatch(rows)
                            .replaceWith(true);
                }));
    }

    /** Keeps a record that cannot be notified, with why; a record dead-lettered before is kept once. */
    public Uni<Void> deadLetter(
            String topic, int partition, long offset, String key, byte[] value, String reason, Instant at) {
        return pool.preparedQuery(DEAD_LETTER)
                .execute(Tuple.tuple(Arrays.asList(
                        topic,
                        partition,
                        offset,
                        key,
                        value == null ? null : io.vertx.core.buffer.Buffer.buffer(value),
                        reason,
                        at.atOffset(ZoneOffset.UTC))))
                .replaceWithVoid();
    }
}
