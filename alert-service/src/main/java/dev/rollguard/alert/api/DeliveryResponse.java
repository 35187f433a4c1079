package dev.rollguard.alert.api;

import java.time.Instant;

/**
 * One notification to a webhook: PENDING, DELIVERED or FAILED (kept for inspection). {@code alertSeq} and
 * {@code alertId} name the newest alert transition it carries, {@code groupKey} its group (absent on deliveries made
 * before notifications were grouped); a notification of an automatic action has {@code actionId} instead.
 */
public record DeliveryResponse(
        long id,
        String webhookId,
        String groupKey,
        Long alertSeq,
        String alertId,
        String actionId,
        String status,
        int attempts,
        Integer lastStatusCode,
        String lastError,
        Instant createdAt,
        Instant updatedAt,
        Instant deliveredAt) {}
