package dev.rollguard.flag.repository;

import dev.rollguard.flag.domain.FlagEntity;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;
import java.util.List;

@ApplicationScoped
public class FlagRepository implements PanacheRepositoryBase<FlagEntity, String> {

    /** The advisory lock of parent changes ("rgparent"); the outbox relay's is another. */
    static final long PARENT_LOCK_KEY = 0x7267706172656e74L;

    /** The flag with its row locked until the transaction ends, so concurrent writes are applied one by one. */
    public Uni<FlagEntity> lock(String key) {
        return findById(key, LockModeType.PESSIMISTIC_WRITE);
    }

    /**
     * Waits until no other transaction is changing a flag's parent, and keeps others waiting until this one ends: two
     * edits that each checked their new parent's ancestors before the other committed could otherwise make two flags
     * each other's prerequisite.
     */
    public Uni<Void> lockParentChanges() {
        return getSession()
                .chain(session -> session.createNativeQuery(
                                "SELECT 1 FROM pg_advisory_xact_lock(" + PARENT_LOCK_KEY + ")")
                        .getSingleResult())
                .replaceWithVoid();
    }

    /** Flags not archived that name {@code key} as their parent, by key. */
    public Uni<List<FlagEntity>> children(String key) {
        return list("parentKey = ?1 and archived = false order by key", key);
    }

    /**
     * How many levels of flags hang below {@code key} by their parent (0: none; 1: children only), counted to at most
     * {@code bound} + 1 so that a cycle stored by an older release cannot run the query forever.
     */
    public Uni<Integer> descendantDepth(String key, int bound) {
        return getSession().chain(session -> session.createNativeQuery(
                        "WITH RECURSIVE below(flag_key, depth) AS ("
                                + " SELECT flag_key, 1 FROM flags WHERE parent_key = :key"
                                + " UNION ALL SELECT f.flag_key, b.depth + 1 FROM flags f"
                                + " JOIN below b ON f.parent_key = b.flag_key WHERE b.depth <= :bound)"
                                + " SELECT coalesce(max(depth), 0) FROM below",
                        Integer.class)
                .setParameter("key", key)
                .setParameter("bound", bound)
                .getSingleResult());
    }

    /**
     * Flags not archived whose rules may name {@code segmentKey} (a text match on the stored rules, by key): callers
     * keep those whose rules do reference it.
     */
    public Uni<List<FlagEntity>> mentioningSegment(String segmentKey) {
        return list("archived = false and rules like ?1 order by key", "%\"" + segmentKey + "\"%");
    }

    /** {@link #mentioningSegment}, with the rows locked until the transaction ends. */
    public Uni<List<FlagEntity>> lockMentioningSegment(String segmentKey) {
        return find("archived = false and rules like ?1 order by key", "%\"" + segmentKey + "\"%")
                .withLock(LockModeType.PESSIMISTIC_WRITE)
                .list();
    }

    /** Flags not archived, by key; archived ones too when asked. */
    public Uni<List<FlagEntity>> list(boolean includeArchived) {
        return includeArchived ? list("order by key") : list("archived = false order by key");
    }
}
