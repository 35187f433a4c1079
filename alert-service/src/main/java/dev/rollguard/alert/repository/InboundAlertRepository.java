package dev.rollguard.alert.repository;

import dev.rollguard.alert.domain.inbound.InboundDedup.Latest;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.event.AlertStatus;
import dev.rollguard.schemas.serde.AvroCodec;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * Alerts received from outside, stored in the alerts outbox like Rollguard's own transitions (the relay publishes
 * them to the {@code alerts} topic). The decision whether a received alert is a transition reads the last one stored
 * for its fingerprint under a transaction-scoped advisory lock on that fingerprint, so two copies of one alert
 * received at once (both members of an Alertmanager HA pair) are decided one after the other, by any instance.
 */
@ApplicationScoped
public class InboundAlertRepository {

    private static final String LOCK =
            "SELECT pg_advisory_xact_lock(hashtextextended($1, " + AlertRepository.FINGERPRINT_LOCK_SEED + "))";
    private static final String LATEST =
            """
            SELECT a.status, a.starts_at, COALESCE(e.expired, false) AS expired FROM alerts a
            LEFT JOIN inbound_alert_expiry e ON e.fingerprint = a.fingerprint
            WHERE a.fingerprint = $1 ORDER BY a.seq DESC LIMIT 1""";
    private static final String INSERT_ALERT =
            """
            INSERT INTO alerts (alert_id, fingerprint, status, severity, rule_id, scope_key, flag_key, starts_at,
                                ends_at, emitted_at, payload_json, payload_avro)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
            ON CONFLICT (alert_id) DO NOTHING RETURNING seq""";

    private static final String EXPIRES =
            """
            INSERT INTO inbound_alert_expiry (fingerprint, expires_at) VALUES ($1, $2)
            ON CONFLICT (fingerprint) DO UPDATE SET expired = false, expires_at = CASE WHEN inbound_alert_expiry.expired
                THEN $2 ELSE GREATEST(inbound_alert_expiry.expires_at, $2) END""";
    private static final String FORGET_EXPIRY = "DELETE FROM inbound_alert_expiry WHERE fingerprint = $1";
    private static final String MARK_EXPIRED = "UPDATE inbound_alert_expiry SET expired = true WHERE fingerprint = $1";
    private static final String DUE =
            """
            SELECT fingerprint FROM inbound_alert_expiry WHERE NOT expired AND expires_at <= $1
            ORDER BY expires_at LIMIT $2""";
    private static final String EXPIRY =
            "SELECT expires_at FROM inbound_alert_expiry WHERE fingerprint = $1 AND NOT expired";
    private static final String LATEST_EVENT =
            "SELECT status, payload_avro FROM alerts WHERE fingerprint = $1 ORDER BY seq DESC LIMIT 1";

    /** A transition to store: the event, its JSON view and its Avro encoding. */
    public record InboundRow(AlertEvent event, String json, byte[] avro) {}

    private static final AvroCodec<AlertEvent> CODEC = AvroCodec.of(AlertEvent.class);

    private final Pool pool;

    public InboundAlertRepository(Pool pool) {
        this.pool = pool;
    }

    /**
     * Decides, with the last transition of the fingerprint in hand, and stores the transition decided, in one
     * transaction. Answers the stored transition's sequence number, empty when nothing was stored. {@code expiresAt}
     * is when the received alert, if firing, stops firing unless sent again (its sender's endsAt, null when it gave
     * none ahead): kept while the fingerprint fires, the latest of those received, and forgotten when it resolves.
     */
    public Uni<Optional<Long>> record(
            String fingerprint, Instant expiresAt, Function<Latest, Optional<InboundRow>> decide) {
        return pool.withTransaction(connection -> connection
                .preparedQuery(LOCK)
                .execute(Tuple.of(fingerprint))
                .chain(() -> connection.preparedQuery(LATEST).execute(Tuple.of(fingerprint)))
                .chain(rows -> {
                    Iterator<Row> it = rows.iterator();
                    Latest latest = null;
                    if (it.hasNext()) {
                        Row row = it.next();
                        AlertStatus status = AlertStatus.valueOf(row.getString("status"));
                        latest = new Latest(
                                status,
                                row.getOffsetDateTime("starts_at").toInstant(),
                                status == AlertStatus.RESOLVED && row.getBoolean("expired"));
                    }
                    Optional<InboundRow> toStore = decide.apply(latest);
                    AlertStatus stored =
                            toStore.map(row -> row.event().getStatus()).orElse(null);
                    boolean firing = stored == AlertStatus.FIRING
                            || (stored == null && latest != null && latest.status() == AlertStatus.FIRING);
                    // A resolution the sender sent ends the expiry; a copy dropped after an expiry leaves it marked.
                    Uni<Void> expiry = stored == AlertStatus.RESOLVED
                            ? connection
                                    .preparedQuery(FORGET_EXPIRY)
                                    .execute(Tuple.of(fingerprint))
                                    .replaceWithVoid()
                            : firing && expiresAt != null
                                    ? connection
                                            .preparedQuery(EXPIRES)
                                            .execute(Tuple.of(fingerprint, utc(expiresAt)))
                                            .replaceWithVoid()
                                    : Uni.createFrom().voidItem();
                    if (toStore.isEmpty()) {
                        return expiry.replaceWith(Optional.<Long>empty());
                    }
                    return expiry.chain(
                                    () -> connection.preparedQuery(INSERT_ALERT).execute(tuple(toStore.get())))
                            .map(inserted -> {
                                Iterator<Row> seq = inserted.iterator();
                                return seq.hasNext() ? Optional.of(seq.next().getLong(0)) : Optional.<Long>empty();
                            });
                }));
    }

    /** Fingerprints of alerts received from outside whose expiry passed at {@code now}, the longest past first. */
    public Uni<List<String>> expired(Instant now, int limit) {
        return pool.preparedQuery(DUE).execute(Tuple.of(utc(now), limit)).map(rows -> {
            List<String> due = new ArrayList<>(rows.size());
            rows.forEach(row -> due.add(row.getString(0)));
            return due;
        });
    }

    /**
     * Resolves an alert received from outside whose expiry passed at {@code now}, unless a copy received since moved
     * it on or it resolved already: under the fingerprint's lock, {@code resolve} makes the resolution from the firing
     * transition stored last and the expiry. Answers the stored transition's sequence number, empty when none.
     */
    public Uni<Optional<Long>> expire(
            String fingerprint, Instant now, BiFunction<AlertEvent, Instant, InboundRow> resolve) {
        return pool.withTransaction(connection -> connection
                .preparedQuery(LOCK)
                .execute(Tuple.of(fingerprint))
                .chain(() -> connection.preparedQuery(EXPIRY).execute(Tuple.of(fingerprint)))
                .chain(expiries -> {
                    Iterator<Row> expiry = expiries.iterator();
                    if (!expiry.hasNext()) {
                        return Uni.createFrom().item(Optional.<Long>empty());
                    }
                    Instant expiresAt = expiry.next().getOffsetDateTime(0).toInstant();
                    if (expiresAt.isAfter(now)) {
                        return Uni.createFrom().item(Optional.<Long>empty());
                    }
                    Uni<Void> forget = connection
                            .preparedQuery(MARK_EXPIRED)
                            .execute(Tuple.of(fingerprint))
                            .replaceWithVoid();
                    return forget.chain(
                                    () -> connection.preparedQuery(LATEST_EVENT).execute(Tuple.of(fingerprint)))
                            .chain(rows -> {
                                Iterator<Row> it = rows.iterator();
                                if (!it.hasNext()) {
                                    return Uni.createFrom().item(Optional.<Long>empty());
                                }
                                Row row = it.next();
                                if (AlertStatus.valueOf(row.getString("status")) != AlertStatus.FIRING) {
                                    return Uni.createFrom().item(Optional.<Long>empty());
                                }
                                AlertEvent firing = CODEC.decode(
                                        row.getBuffer("payload_avro").getBytes());
                                return connection
                                        .preparedQuery(INSERT_ALERT)
                                        .execute(tuple(resolve.apply(firing, expiresAt)))
                                        .map(inserted -> {
                                            Iterator<Row> seq = inserted.iterator();
                                            return seq.hasNext()
                                                    ? Optional.of(seq.next().getLong(0))
                                                    : Optional.<Long>empty();
                                        });
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
