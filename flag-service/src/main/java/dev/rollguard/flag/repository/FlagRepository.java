package dev.rollguard.flag.repository;

import dev.rollguard.flag.domain.FlagEntity;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;
import java.util.List;

@ApplicationScoped
public class FlagRepository implements PanacheRepositoryBase<FlagEntity, String> {

    /** The flag with its row locked until the transaction ends, so concurrent writes are applied one by one. */
    public Uni<FlagEntity> lock(String key) {
        return findById(key, LockModeType.PESSIMISTIC_WRITE);
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
