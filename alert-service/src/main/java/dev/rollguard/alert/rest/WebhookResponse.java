package dev.rollguard.alert.rest;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.rollguard.schemas.event.Severity;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * A webhook subscription; the secret is only shown in the answer that created or rotated it. Durations are written as
 * they are accepted ({@code 10s}, {@code 1m}, {@code 4h}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record WebhookResponse(
        String id,
        String name,
        String url,
        Set<Severity> severities,
        boolean enabled,
        List<String> groupBy,
        String groupWait,
        String groupInterval,
        String repeatInterval,
        String secret,
        Instant createdAt,
        Instant updatedAt) {}
