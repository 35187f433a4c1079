package dev.rollguard.flag.repository;

import dev.rollguard.flag.domain.AuditEntry;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.quarkus.panache.common.Parameters;
import io.quarkus.panache.common.Sort;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

@ApplicationScoped
public class AuditRepository implements PanacheRepositoryBase<AuditEntry, Long> {

    /**
     * Rows matching every given filter (null filters match all), newest first (by time, then id). {@code before}, the
     * id of a row, keeps the rows after it in that order (the next page): a keyset on (time, id), so rows that share a
     * time are neither skipped nor repeated; an id that is not there keeps none. The keyset is one row comparison, in
     * the order of the index on {@code (at, id)} (migration V9): PostgreSQL starts the scan at the cursor, where the
     * same test spelled with {@code or} is a filter on every row newer than it.
     */
    public Uni<List<AuditEntry>> search(
            String flagKey, String segmentKey, String actor, Instant since, Instant until, Long before, int limit) {
        List<String> where = new ArrayList<>();
        Parameters params = new Parameters();
        if (flagKey != null) {
            where.add("flagKey = :flag");
            params.and("flag", flagKey);
        }
        if (segmentKey != null) {
            where.add("segmentKey = :segment");
            params.and("segment", segmentKey);
        }
        if (actor != null) {
            where.add("(actor = :actor or tokenName = :actor)");
            params.and("actor", actor);
        }
        if (since != null) {
            where.add("at >= :since");
            params.and("since", since);
        }
        if (until != null) {
            where.add("at < :until");
            params.and("until", until);
        }
        if (before != null) {
            where.add("(at, id) < ((select c.at from AuditEntry c where c.id = :before), :before)");
            params.and("before", before);
        }
        Sort newestFirst = Sort.descending("at", "id");
        var query = where.isEmpty() ? findAll(newestFirst) : find(String.join(" and ", where), newestFirst, params);
        return query.page(0, limit).list();
    }
}
