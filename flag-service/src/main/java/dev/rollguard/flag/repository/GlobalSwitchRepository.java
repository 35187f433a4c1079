package dev.rollguard.flag.repository;

import dev.rollguard.flag.domain.GlobalSwitchEntity;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;

@ApplicationScoped
public class GlobalSwitchRepository implements PanacheRepositoryBase<GlobalSwitchEntity, Short> {

    public Uni<GlobalSwitchEntity> get() {
        return findById(GlobalSwitchEntity.ID);
    }

    public Uni<GlobalSwitchEntity> lock() {
        return findById(GlobalSwitchEntity.ID, LockModeType.PESSIMISTIC_WRITE);
    }
}
