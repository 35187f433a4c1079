package dev.rollguard.alert.repository;

import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import jakarta.enterprise.context.ApplicationScoped;

/** Webhook subscriptions in PostgreSQL. */
@ApplicationScoped
public class WebhookRepository implements PanacheRepositoryBase<WebhookEntity, String> {}
