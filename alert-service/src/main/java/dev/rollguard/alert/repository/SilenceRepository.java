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
import java.util.Optional;

/** Silences, kept after they end so that who silenced what, when and why stays on record. */
@ApplicationScoped
public class SilenceRepository {

    /** A stored silence; {@code matchers} is their JSON. */
    public record SilenceRow(
            String id,
            String matchers,
            Instant startsAt,
            Instant endsAt,
            String createdBy,
            String comment,
            Instant createdAt,
            Instant expiredAt,
            String expiredBy) {}

    private static final String COLUMNS =
            "id, matchers, starts_at, ends_at, created_by, comment, created_at, expired_at, expired_by";

    private final Pool pool;

    public SilenceRepository(Pool pool) {
        this.pool = pool;
    }

    public Uni<Void> insert(SilenceRow s) {
        return pool.preparedQuery("INSERT INTO silences (" + COLUMNS + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                .execute(Tuple.tuple(Arrays.asList(
                        s.id(),
                        s.matchers(),
                        utc(s.startsAt()),
                        utc(s.endsAt()),
                        s.createdBy(),
                        s.comment(),
                        utc(s.createdAt()),
                        null,
                        null)))
                .replaceWithVoid();
    }

    /** Every silence, newest first, at most {@code limit}. */
    public Uni<List<SilenceRow>> list(int limit) {
        return pool.preparedQuery("SELECT " + COLUMNS + " FROM silences ORDER BY created_at DESC, id LIMIT $1")
                .execute(Tuple.of(limit))
                .map(SilenceRepository::rows);
    }

    /** The silences in force at {@code now}. */
    public Uni<List<SilenceRow>> active(Instant now) {
        return pool.preparedQuery("SELECT " + COLUMNS + " FROM silences WHERE ends_at > $1 AND starts_at <= $1")
                .execute(Tuple.of(utc(now)))
                .map(SilenceRepository::rows);
    }

    public Uni<Optional<SilenceRow>> find(String id) {
        return pool.preparedQuery("SELECT " + COLUMNS + " FROM silences WHERE id = $1")
                .execute(Tuple.of(id))
                .map(rows -> rows(rows).stream().findFirst());
    }

    /**
     * Ends a silence that has not ended yet at {@code now}, recording who ended it; false when it had ended already (or
     * does not exist).
     */
    public Uni<Boolean> expire(String id, Instant now, String by) {
        return pool.preparedQuery(
                        "UPDATE silences SET ends_at = $2, expired_at = $2, expired_by = $3 WHERE id = $1 AND ends_at > $2")
                .execute(Tuple.of(id, utc(now), by))
                .map(result -> result.rowCount() > 0);
    }

    private static List<SilenceRow> rows(Iterable<Row> rows) {
        List<SilenceRow> list = new ArrayList<>();
        for (Row row : rows) {
            OffsetDateTime expired = row.getOffsetDateTime("expired_at");
            list.add(new SilenceRow(
                    row.getString("id"),
                    row.getString("matchers"),
                    row.getOffsetDateTime("starts_at").toInstant(),
                    row.getOffsetDateTime("ends_at").toInstant(),
                    row.getString("created_by"),
                    row.getString("comment"),
                    row.getOffsetDateTime("created_at").toInstant(),
                    expired == null ? null : expired.toInstant(),
                    row.getString("expired_by")));
        }
        return list;
    }

    private static OffsetDateTime utc(Instant instant) {
        return instant.atOffset(ZoneOffset.UTC);
    }
}
