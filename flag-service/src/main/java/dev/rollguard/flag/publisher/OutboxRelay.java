package dev.rollguard.flag.publisher;

import dev.rollguard.flag.config.FlagServiceConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;

/**
 * Publishes the outbox to flags.changes. A pass locks the unsent rows, sends them in id order, waits for the
 * broker's acknowledgement of every one, and only then marks them sent, in the same transaction: a crash anywhere
 * leaves the rows unsent and the next pass (on any instance) sends them again, so a change is published at least
 * once and never lost. Consumers tolerate the duplicates because every event carries the flag's version.
 *
 * <p>A PostgreSQL advisory lock lets one instance relay at a time, so events of one flag are never published out
 * of order by two instances racing. Passes run after each local commit and on a timer ({@code FlagServiceLifecycle}) for rows left behind.
 */
@ApplicationScoped
public class OutboxRelay {

    public static final String CHANNEL = "flags-changes-out";

    /** Advisory lock key of the relay ("rgoutbox" in ASCII). */
    static final long LOCK_KEY = 0x72676f7574626f78L;

    private final Pool pool;
    private final MutinyEmitter<byte[]> emitter;
    private final int batchSize;
    private final Counter published;
    private final Timer lag;
    private final AtomicLong pending = new AtomicLong();
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicBoolean again = new AtomicBoolean();
    /** Until the application has started, the messaging channels may not be wired yet. */
    private volatile boolean stopped = true;

    public OutboxRelay(
            Pool pool,
            @Channel(CHANNEL) MutinyEmitter<byte[]> emitter,
            FlagServiceConfig config,
            MeterRegistry registry) {
        this.pool = pool;
        this.emitter = emitter;
        this.batchSize = config.outbox().batchSize();
        this.published = Counter.builder("rollguard.outbox.published")
                .description("Flag changes published to flags.changes and acknowledged by the broker")
                .register(registry);
        this.lag = Timer.builder("rollguard.outbox.lag")
                .description("Time from the commit of a change to the broker's acknowledgement of its event")
                .publishPercentiles(0.5, 0.99)
                .register(registry);
        Gauge.builder("rollguard.outbox.pending", pending, AtomicLong::get)
                .description("Committed flag changes not yet acknowledged by the broker (sampled; a backlog that"
                        + " grows means flags.changes is not being written)")
                .register(registry);
    }

    /** Counts the unsent rows for the {@code rollguard.outbox.pending} gauge; a failed count keeps the last one. */
    public Uni<Void> samplePending() {
        return pool.query("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
                .execute()
                .invoke(rows -> pending.set(rows.iterator().next().getLong(0)))
                .onFailure()
                .invoke(failure -> Log.debugf("outbox backlog not sampled: %s", failure))
                .onFailure()
                .recoverWithNull()
                .replaceWithVoid();
    }

    /** Starts a pass now, or right after the one running. */
    public void trigger() {
        if (stopped) {
            return;
        }
        if (!running.compareAndSet(false, true)) {
            again.set(true);
            return;
        }
        again.set(false);
        drain().subscribe()
                .with(
                        sent -> {
                            if (sent >= batchSize) {
                                again.set(true);
                            }
                            finish();
                        },
                        failure -> {
                            Log.warnf("outbox relay pass failed, rows stay unsent for the next pass: %s", failure);
                            running.set(false);
                        });
    }

    /** Stops relaying (at shutdown); rows committed meanwhile stay in the outbox for the next start. */
    public void stop() {
        stopped = true;
    }

    /** Resumes relaying and sends whatever was left unsent. */
    public void start() {
        stopped = false;
        trigger();
    }

    void onShutdown(@Observes ShutdownEvent event) {
        stop();
    }

    private void finish() {
        running.set(false);
        if (again.get()) {
            trigger();
        }
    }

    /** One pass: returns how many rows were published. */
    Uni<Integer> drain() {
        return pool.withTransaction(connection -> connection
                .query("SELECT pg_try_advisory_xact_lock(" + LOCK_KEY + ")")
                .execute()
                .chain(locked -> locked.iterator().next().getBoolean(0)
                        ? publishUnsent(connection)
                        : Uni.createFrom().item(0)));
    }

    private Uni<Integer> publishUnsent(SqlConnection connection) {
        return connection
                .preparedQuery("SELECT id, flag_key, payload, created_at FROM outbox WHERE sent_at IS NULL"
                        + " ORDER BY id LIMIT $1 FOR UPDATE")
                .execute(Tuple.of(batchSize))
                .chain(rows -> {
                    List<Row> batch = new ArrayList<>();
                    rows.forEach(batch::add);
                    if (batch.isEmpty()) {
                        return Uni.createFrom().item(0);
                    }
                    List<Uni<Void>> sends = new ArrayList<>();
                    Long[] ids = new Long[batch.size()];
                    for (int i = 0; i < batch.size(); i++) {
                        Row row = batch.get(i);
                        ids[i] = row.getLong("id");
                        OffsetDateTime committed = row.getOffsetDateTime("created_at");
                        Message<byte[]> message = Message.of(
                                        row.getBuffer("payload").getBytes())
                                .addMetadata(OutgoingKafkaRecordMetadata.<String>builder()
                                        .withKey(row.getString("flag_key"))
                                        .build());
                        sends.add(emitter.sendMessage(message).invoke(() -> {
                            published.increment();
                            lag.record(Duration.between(committed.toInstant(), Instant.now()));
                        }));
                    }
                    return Uni.join()
                            .all(sends)
                            .andFailFast()
                            .chain(() -> connection
                                    .preparedQuery("UPDATE outbox SET sent_at = now() WHERE id = ANY($1)")
                                    .execute(Tuple.of(ids)))
                            .replaceWith(batch.size());
                });
    }
}
