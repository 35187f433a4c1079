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
