package dev.rollguard.alert.service;

import dev.rollguard.alert.repository.DeliveryRepository;
import dev.rollguard.alert.repository.WebhookEntity;
import dev.rollguard.alert.repository.WebhookRepository;
import dev.rollguard.alert.rest.DeliveryResponse;
import dev.rollguard.alert.rest.WebhookRequest;
import dev.rollguard.alert.rest.WebhookResponse;
import dev.rollguard.alert.service.WebhookRegistry.Receiver;
import dev.rollguard.schemas.event.Severity;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.panache.common.Sort;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

/** Webhook CRUD, their delivery records, and keeping the {@link WebhookRegistry} in step with the table. */
@ApplicationScoped
public class WebhookService {

    private static final SecureRandom RANDOM = new SecureRandom();

    private final WebhookRepository webhooks;
    private final DeliveryRepository deliveries;
    private final WebhookRegistry registry;
    private final WebhookDispatcher dispatcher;

    public WebhookService(
            WebhookRepository webhooks,
            DeliveryRepository deliveries,
            WebhookRegistry registry,
            WebhookDispatcher dispatcher) {
        this.webhooks = webhooks;
        this.deliveries = deliveries;
        this.registry = registry;
        this.dispatcher = dispatcher;
    }

    public Uni<List<WebhookResponse>> list() {
        return Panache.withSession(() -> webhooks.listAll(Sort.by("createdAt")))
                .map(list -> list.stream().map(w -> response(w, false)).toList());
    }

    public Uni<WebhookResponse> get(String id) {
        return Panache.withSession(() -> webhooks.findById(id)).map(w -> response(found(w, id), false));
    }

    public Uni<WebhookResponse> create(WebhookRequest request) {
        WebhookEntity entity = new WebhookEntity();
        entity.id = UUID.randomUUID().toString();
        entity.secret = request.secret() != null ? request.secret() : newSecret();
        apply(request, entity);
        entity.createdAt = Instant.now();
        entity.updatedAt = entity.createdAt;
        return Panache.withTransaction(() -> webhooks.persist(entity))
                .map(w -> response(w, true))
                .call(this::refresh);
    }

    public Uni<WebhookResponse> update(String id, WebhookRequest request) {
        return Panache.withTransaction(() -> webhooks.findById(id).map(w -> {
                    WebhookEntity entity = found(w, id);
                    apply(request, entity);
                    if (request.secret() != null) {
                        entity.secret = request.secret();
                    }
                    entity.updatedAt = Instant.now();
                    return entity;
                }))
                .map(w -> response(w, request.secret() != null))
                .call(this::refresh);
    }

    public Uni<Void> delete(String id) {
        return Panache.withTransaction(() -> webhooks.deleteById(id))
                .invoke(deleted -> {
                    if (!deleted) {
                        throw ApiException.notFound("webhook " + id);
                    }
                })
                .call(this::refresh)
                .replaceWithVoid();
    }

    public Uni<List<DeliveryResponse>> deliveries(String id, String status, int limit) {
        if (status != null && !Set.of("PENDING", "DELIVERED", "FAILED").contains(status)) {
            throw new ValidationFailedException(
                    List.of(new ValidationFailedException.Violation("status", "one of PENDING, DELIVERED, FAILED")));
        }
        return get(id).chain(w -> deliveries.list(id, status, limit)).map(rows -> rows.stream()
                .map(d -> new DeliveryResponse(
                        d.id(),
                        d.webhookId(),
                        d.alertSeq(),
                        d.alertId(),
                        d.status(),
                        d.attempts(),
                        d.lastStatusCode(),
                        d.lastError(),
                        d.createdAt(),
                        d.updatedAt(),
                        d.deliveredAt()))
                .toList());
    }

    /** Queues a finished delivery again, e.g. a FAILED one after its receiver was fixed. */
    public Uni<Void> redeliver(String id, long deliveryId) {
        return deliveries
                .requeue(id, deliveryId)
                .invoke(requeued -> {
                    if (!requeued) {
                        throw new ApiException(
                                404, "NOT_FOUND", "no finished delivery " + deliveryId + " for webhook " + id);
                    }
                    dispatcher.kick();
                })
                .replaceWithVoid();
    }

    /** Reloads the enabled webhooks into the registry and delivers what became deliverable. */
    public Uni<Void> refresh() {
        return Panache.withSession(() -> webhooks.list("enabled", true))
                .invoke(list -> {
                    registry.replace(list.stream()
                            .map(w -> new Receiver(w.id, w.name, w.url, w.secret, severities(w.severities)))
                            .toList());
                    dispatcher.kick();
                })
                .replaceWithVoid();
    }

    private static void apply(WebhookRequest request, WebhookEntity entity) {
        entity.name = request.name().strip();
        entity.url = request.url();
        entity.severities = request.severities() == null
                ? ""
                : request.severities().stream().map(Enum::name).sorted().collect(Collectors.joining(","));
        entity.enabled = request.enabled() == null || request.enabled();
    }

    private static WebhookEntity found(WebhookEntity entity, String id) {
        if (entity == null) {
            throw ApiException.notFound("webhook " + id);
        }
        return entity;
    }

    private static WebhookResponse response(WebhookEntity w, boolean withSecret) {
        return new WebhookResponse(
                w.id,
                w.name,
                w.url,
                severities(w.severities),
                w.enabled,
                withSecret ? w.secret : null,
                w.createdAt,
                w.updatedAt);
    }

    private static Set<Severity> severities(String stored) {
        Set<Severity> set = EnumSet.noneOf(Severity.class);
        Arrays.stream(stored.split(","))
                .filter(s -> !s.isBlank())
                .map(Severity::valueOf)
                .forEach(set::add);
        return set;
    }

    private static String newSecret() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }
}
