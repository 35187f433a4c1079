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
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;

/**
 * Publishes the outbox to flags.changes. A pass locks the unsent rows, sends them in id order, waits for the
 * broker's answer to every one, and marks sent, in the same transaction, those it acknowledged: a crash anywhere
 * leaves the rows unsent and the next pass (on any instance) sends them again, so a change is published at least
 * once and never lost. Consumers tolerate the duplicates because every event carries the flag's version. A row the
 * broker will never take (too large, invalid) is set aside ({@code failed_at}, an ERROR line, the
 * {@code rollguard.outbox.set.aside} counter) instead of failing every later pass and holding back every later change.
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
    private final Counter setAsideCount;
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
        this.setAsideCount = Counter.builder("rollguard.outbox.set.aside")
                .description("Outbox rows the broker refused for good (too large, not serialisable), set aside so the"
                        + " rows behind them are published; each is logged at ERROR")
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
        return pool.query("SELECT count(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL")
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
                .preparedQuery("SELECT id, flag_key, payload, created_at FROM outbox"
                        + " WHERE sent_at IS NULL AND failed_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE")
                .execute(Tuple.of(batchSize))
                .chain(rows -> {
                    List<Row> batch = new ArrayList<>();
                    rows.forEach(batch::add);
                    if (batch.isEmpty()) {
                        return Uni.createFrom().item(0);
                    }
                    List<Uni<Sent>> sends = new ArrayList<>();
                    for (Row row : batch) {
                        sends.add(send(row));
                    }
                    return Uni.join().all(sends).andCollectFailures().chain(results -> record(connection, results));
                });
    }

    /** Sends one row and says how it went; a failed send is an outcome, not a failure of the pass. */
    private Uni<Sent> send(Row row) {
        long id = row.getLong("id");
        String key = row.getString("flag_key");
        OffsetDateTime committed = row.getOffsetDateTime("created_at");
        Message<byte[]> message = Message.of(row.getBuffer("payload").getBytes())
                .addMetadata(OutgoingKafkaRecordMetadata.<String>builder()
                        .withKey(key)
                        .build());
        return emitter.sendMessage(message)
                .map(ignored -> {
                    published.increment();
                    lag.record(Duration.between(committed.toInstant(), Instant.now()));
                    return new Sent(id, key, null);
                })
                .onFailure()
                .recoverWithItem(failure -> new Sent(id, key, failure));
    }

    /**
     * Marks the acknowledged rows sent and sets aside those the broker will never take; a row that failed otherwise
     * stays unsent, and so does every later row of the same flag in the batch (sent again after it, so the compacted
     * topic ends on the newest version).
     */
    private Uni<Integer> record(SqlConnection connection, List<Sent> results) {
        List<Long> sent = new ArrayList<>();
        List<Sent> setAside = new ArrayList<>();
        Set<String> retrying = new HashSet<>();
        Sent firstRetry = null;
        for (Sent result : results) {
            if (result.failure() == null) {
                if (!retrying.contains(result.key())) {
                    sent.add(result.id());
                }
            } else if (permanent(result.failure())) {
                setAside.add(result);
            } else {
                retrying.add(result.key());
                firstRetry = firstRetry == null ? result : firstRetry;
            }
        }
        if (firstRetry != null) {
            Log.warnf(
                    "outbox rows of %d flags not published, sent again at the next pass (row %d: %s)",
                    retrying.size(), firstRetry.id(), firstRetry.failure());
        }
        Uni<?> steps = sent.isEmpty()
                ? Uni.createFrom().voidItem()
                : connection
                        .preparedQuery("UPDATE outbox SET sent_at = now() WHERE id = ANY($1)")
                        .execute(Tuple.of(sent.toArray(Long[]::new)));
        for (Sent result : setAside) {
            steps = steps.chain(() -> connection
                    .preparedQuery("UPDATE outbox SET failed_at = now(), failure = $2 WHERE id = $1")
                    .execute(Tuple.of(result.id(), String.valueOf(result.failure())))
                    .invoke(() -> {
                        setAsideCount.increment();
                        Log.errorf(
                                "outbox row %d (flag %s) set aside, the broker refuses it for good: %s; the rows"
                                        + " behind it go on (UPDATE outbox SET failed_at = NULL WHERE id = %d sends it"
                                        + " again)",
                                result.id(), result.key(), result.failure(), result.id());
                    }));
        }
        return steps.replaceWith(sent.size() + setAside.size());
    }

    /**
     * Whether the producer or the broker will refuse this record whatever the retries: too large, invalid, or not
     * serialisable. Only errors about the record itself: a non-retriable error about the producer, the topic or the
     * cluster (authorization, a fenced producer, a sequence out of order, an unknown topic name) would meet every row,
     * and setting them all aside would stop publication for good, so those rows stay for later passes.
     */
    static boolean permanent(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof RecordTooLargeException
                    || cause instanceof RecordBatchTooLargeException
                    || cause instanceof InvalidRecordException
                    || cause instanceof SerializationException) {
                return true;
            }
            if (cause.getCause() == cause) {
                break;
            }
        }
        return false;
    }

    /** How the send of one outbox row went: {@code failure} null when the broker acknowledged it. */
    private record Sent(long id, String key, Throwable failure) {}
}
