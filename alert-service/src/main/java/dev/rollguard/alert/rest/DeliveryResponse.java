package dev.rollguard.alert.rest;

import java.time.Instant;

/** One delivery of one alert to a webhook: PENDING, DELIVERED or FAILED (kept for inspection). */
public record DeliveryResponse(
        long id,
        String webhookId,
        long alertSeq,
        String alertId,
        String status,
        int attempts,
        Integer lastStatusCode,
        String lastError,
        Instant createdAt,
        Instant updatedAt,
        Instant deliveredAt) {}
