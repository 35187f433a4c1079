package dev.rollguard.alert.rest;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollguard.alert.config.AlertConfig;
import dev.rollguard.alert.domain.TransitionDelivery;
import dev.rollguard.alert.repository.AlertQuery;
import dev.rollguard.alert.service.AlertService;
import dev.rollguard.alert.service.ValidationFailedException;
import dev.rollguard.alert.service.ValidationFailedException.Violation;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.jboss.resteasy.reactive.RestHeader;
import org.jboss.resteasy.reactive.RestPath;
import org.jboss.resteasy.reactive.RestQuery;
import org.jboss.resteasy.reactive.RestResponse;

/**
 * Active alerts, the alert history, the live stream of transitions (SSE), and sending a dead-lettered transition
 * again.
 */
@Path("/api/alerts")
public class AlertResource {

    private final AlertService alerts;
    private final AlertConfig config;

    public AlertResource(AlertService alerts, AlertConfig config) {
        this.alerts = alerts;
        this.config = config;
    }

    /**
     * {@code view=active} (default): alerts firing now, one per fingerprint; {@code view=history}: every transition,
     * newest first, paged with {@code before=<seq>}, {@code delivery=pending|published|dead_lettered} selecting by
     * delivery to Kafka.
     */
    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public Uni<List<ObjectNode>> list(
            @RestQuery @DefaultValue("active") String view,
            @RestQuery String status,
            @RestQuery String severity,
            @RestQuery String ruleId,
            @RestQuery String flagKey,
            @RestQuery String scopeKey,
            @RestQuery String fingerprint,
            @RestQuery String since,
            @RestQuery String until,
            @RestQuery Long before,
            @RestQuery String delivery,
            @RestQuery @DefaultValue("100") @Min(1) @Max(1000) int limit) {
        List<Violation> violations = new ArrayList<>();
        String normalizedView = view.toLowerCase(Locale.ROOT);
        if (!Set.of("active", "history").contains(normalizedView)) {
            violations.add(new Violation("view", "one of active, history"));
        }
        String statusFilter = symbol("status", status, Set.of("FIRING", "RESOLVED"), violations);
        String severityFilter = symbol("severity", severity, Set.of("WARNING", "CRITICAL"), violations);
        Instant sinceTime = instant("since", since, violations);
        Instant untilTime = instant("until", until, violations);
        TransitionDelivery.State deliveryFilter = delivery(delivery, normalizedView, violations);
        if (!violations.isEmpty()) {
            throw new ValidationFailedException(violations);
        }
        AlertQuery query = new AlertQuery(
                statusFilter,
                severityFilter,
                ruleId,
                flagKey,
                scopeKey,
                fingerprint,
                sinceTime,
                untilTime,
                before,
                deliveryFilter,
                limit);
        return normalizedView.equals("active") ? alerts.active(query) : alerts.history(query);
    }

    /**
     * Server-Sent Events, one per alert transition: {@code id} is the transition's sequence number, {@code event} is
     * {@code alert}, {@code data} the alert JSON. A client reconnecting with {@code Last-Event-ID} (or {@code
     * ?lastEventId=}) first gets every transition it missed.
     */
    @GET
    @Path("/stream")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    public Multi<OutboundSseEvent> stream(
            @RestHeader("Last-Event-ID") String lastEventIdHeader, @RestQuery String lastEventId, @Context Sse sse) {
        String raw = lastEventIdHeader != null ? lastEventIdHeader : lastEventId;
        Long after = null;
        if (raw != null && !raw.isBlank()) {
            try {
                after = Long.parseLong(raw.strip());
            } catch (NumberFormatException e) {
                throw new ValidationFailedException(
                        List.of(new Violation("Last-Event-ID", "must be the id of an event of this stream")));
            }
        }
        Multi<OutboundSseEvent> events = alerts.stream(after).map(row -> sse.newEventBuilder()
                .id(Long.toString(row.seq()))
                .name("alert")
                .mediaType(MediaType.APPLICATION_JSON_TYPE)
                .data(alerts.view(row))
                .build());
        Multi<OutboundSseEvent> heartbeats = Multi.createFrom()
                .ticks()
                .every(config.sse().heartbeat())
                .onOverflow()
                .drop()
                .map(tick -> sse.newEventBuilder().comment("heartbeat").build());
        return Multi.createBy().merging().streams(events, heartbeats);
    }

    /**
     * Sends a dead-lettered transition again: back in the outbox for the relay's next poll, when it is still its
     * alert's latest transition. 202 with the transition; 404 {@code ALERT_TRANSITION_NOT_FOUND}; 409 {@code
     * NOT_DEAD_LETTERED} or {@code NOT_LATEST_TRANSITION}. {@code X-Rollguard-Actor} names who asks, for the log.
     */
    @POST
    @Path("/{seq}/redeliver")
    @Produces(MediaType.APPLICATION_JSON)
    public Uni<RestResponse<ObjectNode>> redeliver(@RestPath long seq, @RestHeader(Actors.HEADER) String actor) {
        String by = Actors.of(actor);
        return alerts.redeliver(seq, by).map(RestResponse::accepted);
    }

    private static TransitionDelivery.State delivery(String value, String view, List<Violation> violations) {
        if (value == null) {
            return null;
        }
        if (!view.equals("history")) {
            // The active view shows each alert's latest transition only: a filter on delivery would hide the
            // dead-lettered ones behind it and read as "none".
            violations.add(new Violation("delivery", "only with view=history"));
            return null;
        }
        try {
            return TransitionDelivery.State.valueOf(value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            violations.add(new Violation("delivery", "one of pending, published, dead_lettered"));
            return null;
        }
    }

    private static String symbol(String field, String value, Set<String> allowed, List<Violation> violations) {
        if (value == null) {
            return null;
        }
        String upper = value.toUpperCase(Locale.ROOT);
        if (!allowed.contains(upper)) {
            violations.add(new Violation(field, "one of " + String.join(", ", allowed)));
        }
        return upper;
    }

    private static Instant instant(String field, String value, List<Violation> violations) {
        if (value == null) {
            return null;
        }
        try {
            return Instant.parse(value);
        } catch (DateTimeParseException e) {
            violations.add(new Violation(field, "an ISO-8601 instant, e.g. 2026-01-01T00:00:00Z"));
            return null;
        }
    }
}
