package dev.rollguard.flag.service;

import dev.rollguard.flag.config.FlagServiceConfig;
import io.quarkus.logging.Log;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * Keeps the outbox and the idempotency keys from growing without end: every {@code flag-service.prune-interval}, the
 * outbox rows published longer than {@code flag-service.outbox.sent-retention} ago and the idempotency keys older than
 * {@code flag-service.idempotency.retention} are deleted, at most {@link #BATCH} of each a pass (a long backlog goes
 * over several passes without holding locks for long). Every replica prunes; deleting twice deletes nothing more.
 */
@ApplicationScoped
public class StorePruning {

    /** Rows deleted from each table in one pass at most. */
    static final int BATCH = 10_000;

    private final Pool pool;
    private final FlagServiceConfig config;

    public StorePruning(Pool pool, FlagServiceConfig config) {
        this.pool = pool;
        this.config = config;
    }

    @Scheduled(
            every = "${flag-service.prune-interval:1h}",
            delayed = "1m",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> scheduledPass() {
        return prune(Instant.now())
                .onFailure()
                .recoverWithItem(failure -> {
                    Log.warnf("outbox and idempotency keys not pruned, again at the next pass: %s", failure.toString());
                    return null;
                })
                .replaceWithVoid();
    }

    /** Deletes what is past its retention at {@code now}; the item is how many rows of each table went. */
    public Uni<Pruned> prune(Instant now) {
        OffsetDateTime sentBefore = now.minus(config.outbox().sentRetention()).atOffset(ZoneOffset.UTC);
        OffsetDateTime keysBefore = now.minus(config.idempotency().retention()).atOffset(ZoneOffset.UTC);
        Uni<Integer> outbox = pool.preparedQuery("DELETE FROM outbox WHERE id IN (SELECT id FROM outbox"
                        + " WHERE sent_at IS NOT NULL AND sent_at < $1 ORDER BY id LIMIT $2)")
                .execute(Tuple.of(sentBefore, BATCH))
                .map(rows -> rows.rowCount());
        Uni<Integer> keys = pool.preparedQuery("DELETE FROM idempotency_keys WHERE ctid IN (SELECT ctid FROM"
                        + " idempotency_keys WHERE created_at < $1 LIMIT $2)")
                .execute(Tuple.of(keysBefore, BATCH))
                .map(rows -> rows.rowCount());
        return outbox.chain(sent -> keys.map(old -> new Pruned(sent, old))).invoke(pruned -> {
            if (pruned.outboxRows() + pruned.idempotencyKeys() > 0) {
                Log.infof(
                        "pruned %d published outbox rows and %d idempotency keys past their retention",
                        pruned.outboxRows(), pruned.idempotencyKeys());
            }
        });
    }

    /** What one pass deleted. */
    public record Pruned(int outboxRows, int idempotencyKeys) {}
}
