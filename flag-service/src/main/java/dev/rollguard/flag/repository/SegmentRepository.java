package dev.rollguard.flag.repository;

import dev.rollguard.flag.domain.SegmentEntity;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

@ApplicationScoped
public class SegmentRepository implements PanacheRepositoryBase<SegmentEntity, String> {

    /** The segment with its row locked until the transaction ends: its change and the flags it republishes are one. */
    public Uni<SegmentEntity> lock(String key) {
        return findById(key, LockModeType.PESSIMISTIC_WRITE);
    }

    /**
     * The segments of {@code keys} that exist, by key. With {@code share} their rows are locked against change until
     * the transaction ends (FOR SHARE), so a flag written with a segment's definition is committed before that
     * segment's next change looks for the flags to republish.
     */
    public Uni<Map<String, SegmentEntity>> byKeys(Collection<String> keys, boolean share) {
        if (keys.isEmpty()) {
            return Uni.createFrom().item(Map.of());
        }
        var query = find("key in ?1", List.copyOf(keys));
        if (share) {
            query = query.withLock(LockModeType.PESSIMISTIC_READ);
        }
        return query.list().map(list -> list.stream().collect(Collectors.toMap(s -> s.key, Function.identity())));
    }

    public Uni<List<SegmentEntity>> listByKey() {
        return list("order by key");
    }
}
