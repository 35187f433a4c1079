package dev.rollguard.alert.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.rollguard.alert.domain.silence.Matcher;
import dev.rollguard.schemas.event.Severity;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * A webhook subscription; the secret is only shown in the answer that created or rotated it, the URL in full only in
 * the answer that created it (otherwise its scheme, host and port: a Slack incoming webhook's path is a credential),
 * the PagerDuty routing key never in full ({@code ****} and its last four characters). Durations are written as they are accepted
 * ({@code 10s}, {@code 1m}, {@code 4h}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record WebhookResponse(
        String id,
        String name,
        String kind,
        String url,
        List<String> events,
        String routingKey,
        Set<Severity> severities,
        List<Matcher> matchers,
        boolean enabled,
        List<String> groupBy,
        String groupWait,
        String groupInterval,
        String repeatInterval,
        String secret,
        Instant createdAt,
        Instant updatedAt) {}
