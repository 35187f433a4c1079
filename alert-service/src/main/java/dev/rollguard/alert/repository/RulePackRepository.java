package dev.rollguard.alert.repository;

import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import jakarta.enterprise.context.ApplicationScoped;

/** Which rule packs were loaded. */
@ApplicationScoped
public class RulePackRepository implements PanacheRepositoryBase<RulePackEntity, String> {}
