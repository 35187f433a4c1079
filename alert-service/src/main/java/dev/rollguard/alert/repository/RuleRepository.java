package dev.rollguard.alert.repository;

import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import jakarta.enterprise.context.ApplicationScoped;

/** Rules in PostgreSQL. */
@ApplicationScoped
public class RuleRepository implements PanacheRepositoryBase<RuleEntity, String> {}
