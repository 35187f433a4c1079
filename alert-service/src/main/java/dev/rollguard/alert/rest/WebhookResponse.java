package dev.rollguard.alert.rest;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.rollguard.schemas.event.Severity;
import java.time.Instant;
import java.util.Set;

/** A webhook subscription; the secret is only shown in the answer that created or rotated it. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record WebhookResponse(
        String id,
        String name,
        String url,
        Set<Severity> severities,
        boolean enabled,
        String secret,
        Instant createdAt,
        Instant updatedAt) {}
