package dev.rollguard.alert.repository;

import dev.rollguard.alert.domain.inbound.InboundDedup.Latest;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.event.AlertStatus;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Optional;
import java.util.function.Function;

/**
 * Alerts received from outside, stored in the alerts outbox like Rollguard's own transitions (the relay publishes
 * them to the {@code alerts} topic). The decision whether a received alert is a transition reads the last one stored
 * for its fingerprint under a transaction-scoped advisory lock on that fingerprint, so two copies of one alert
 * received at once (both members of an Alertmanager HA pair) are decided one after the other, by any instance.
 */
@ApplicationScoped
public class InboundAlertRepository {

    private static final String LOCK = "SELECT pg_advisory_xact_lock(hashtextextended($1, 17))";
    private static final String LATEST =
            "SELECT status, starts_at FROM alerts WHERE fingerprint = $1 ORDER BY seq DESC LIMIT 1";
    private static final String INSERT_ALERT =
            """
            INSERT INTO alerts (alert_id, fingerprint, status, severity, rule_id, scope_key, flag_key, starts_at,
                                ends_at, emitted_at, payload_json, payload_avro)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
            ON CONFLICT (alert_id) DO NOTHING RETURNING seq""";

    /** A transition to store: the event, its JSON view and its Avro encoding. */
    public record InboundRow(AlertEvent event, String json, byte[] avro) {}

    private final Pool pool;

    public InboundAlertRepository(Pool pool) {
        this.pool = pool;
    }

    /**
     * Decides, with the last transition of the fingerprint in hand, and stores the transition decided, in one
     * transaction. Answers the stored transition's sequence number, empty when nothing was stored.
     */
    public Uni<Optional<Long>> record(String fingerprint, Function<Latest, Optional<InboundRow>> decide) {
        return pool.withTransaction(connection -> connection
                .preparedQuery(LOCK)
                .execute(Tuple.of(fingerprint))
                .chain(() -> connection.preparedQuery(LATEST).execute(Tuple.of(fingerprint)))
                .chain(rows -> {
                    Iterator<Row> it = rows.iterator();
                    Latest latest = null;
                    if (it.hasNext()) {
                        Row row = it.next();
                        latest = new Latest(
                                AlertStatus.valueOf(row.getString("status")),
                                row.getOffsetDateTime("starts_at").toInstant());
                    }
                    Optional<InboundRow> toStore = decide.apply(latest);
                    if (toStore.isEmpty()) {
                        return Uni.createFrom().item(Optional.<Long>empty());
                    }
                    return connection
                            .preparedQuery(INSERT_ALERT)
                            .execute(tuple(toStore.get()))
                            .map(inserted -> {
                                Iterator<Row> seq = inserted.iterator();
                                return seq.hasNext() ? Optional.of(seq.next().getLong(0)) : Optional.<Long>empty();
                            });
                }));
    }

    private static Tuple tuple(InboundRow row) {
        AlertEvent e = row.event();
        return Tuple.tuple(Arrays.asList(
                e.getAlertId(),
                e.getFingerprint(),
                e.getStatus().name(),
                e.getSeverity().name(),
                e.getRuleId(),
                e.getScopeKey(),
                e.getFlagKey(),
                utc(e.getStartsAt()),
                e.getEndsAt() == null ? null : utc(e.getEndsAt()),
                utc(e.getEmittedAt()),
                row.json(),
                Buffer.buffer(row.avro())));
    }

    private static OffsetDateTime utc(Instant instant) {
        return instant.atOffset(ZoneOffset.UTC);
    }
}
