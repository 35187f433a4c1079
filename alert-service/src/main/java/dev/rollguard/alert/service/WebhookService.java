package dev.rollguard.alert.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.rollguard.alert.api.DeliveryResponse;
import dev.rollguard.alert.api.SilenceRequest.MatcherRequest;
import dev.rollguard.alert.api.WebhookRequest;
import dev.rollguard.alert.api.WebhookResponse;
import dev.rollguard.alert.domain.grouping.DurationText;
import dev.rollguard.alert.domain.grouping.GroupPolicy;
import dev.rollguard.alert.domain.notify.NotificationTopic;
import dev.rollguard.alert.domain.notify.ReceiverKind;
import dev.rollguard.alert.domain.silence.Matcher;
import dev.rollguard.alert.repository.DeliveryRepository;
import dev.rollguard.alert.repository.NotificationGroupRepository;
import dev.rollguard.alert.repository.WebhookEntity;
import dev.rollguard.alert.repository.WebhookRepository;
import dev.rollguard.alert.service.ValidationFailedException.Violation;
import dev.rollguard.alert.service.WebhookRegistry.Receiver;
import dev.rollguard.http.error.ApiException;
import dev.rollguard.schemas.event.Severity;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.panache.common.Sort;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.URI;
import java.net.URISyntaxException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

/**
 * Webhook CRUD with their grouping, their delivery records, and keeping the {@link WebhookRegistry} in step with the
 * table.
 */
@ApplicationScoped
public class WebhookService {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Duration MAX_GROUP_WAIT = Duration.ofHours(1);
    private static final Duration MAX_GROUP_INTERVAL = Duration.ofDays(1);
    private static final Duration MAX_REPEAT_INTERVAL = Duration.ofDays(30);
    /** Where PagerDuty's Events API v2 takes events (US service region). */
    static final String PAGERDUTY_EVENTS_API = "https://events.pagerduty.com";
    /** Alertmanager receivers are sent their firing alerts again this often by default (Prometheus's resend delay). */
    static final Duration ALERTMANAGER_REPEAT_INTERVAL = Duration.ofMinutes(1);

    /**
     * Lenient as the service's own mapper: matchers a later release stored may carry a field this one does not know,
     * and a webhook it cannot read would fail the start.
     */
    private static final ObjectMapper MATCHER_JSON = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private static final TypeReference<List<Matcher>> MATCHERS = new TypeReference<>() {};

    private final WebhookRepository webhooks;
    private final DeliveryRepository deliveries;
    private final NotificationGroupRepository groups;
    private final WebhookRegistry registry;
    private final WebhookDispatcher dispatcher;

    public WebhookService(
            WebhookRepository webhooks,
            DeliveryRepository deliveries,
            NotificationGroupRepository groups,
            WebhookRegistry registry,
            WebhookDispatcher dispatcher) {
        this.webhooks = webhooks;
        this.deliveries = deliveries;
        this.groups = groups;
        this.registry = registry;
        this.dispatcher = dispatcher;
    }

    public Uni<List<WebhookResponse>> list() {
        return Panache.withSession(() -> webhooks.listAll(Sort.by("createdAt")))
                .map(list -> list.stream().map(w -> response(w, false, false)).toList());
    }

    public Uni<WebhookResponse> get(String id) {
        return Panache.withSession(() -> webhooks.findById(id)).map(w -> response(found(w, id), false, false));
    }

    public Uni<WebhookResponse> create(WebhookRequest request) {
        Settings settings = settings(request, false);
        WebhookEntity entity = new WebhookEntity();
        entity.id = UUID.randomUUID().toString();
        entity.secret = request.secret() != null ? request.secret() : newSecret();
        apply(request, settings, entity);
        entity.createdAt = Instant.now();
        entity.updatedAt = entity.createdAt;
        return Panache.withTransaction(() -> webhooks.persist(entity))
                .map(w -> response(w, true, true))
                .call(this::refresh);
    }

    /**
     * Replaces a webhook. When its group-by labels, its matchers, its severities or its events change, its
     * notification groups are forgotten once the evaluator groups and routes by the new ones: its alerts
     * group afresh from their next change, and an alert it no longer selects is not repeated to it.
     */
    public Uni<WebhookResponse> update(String id, WebhookRequest given) {
        AtomicBoolean regrouped = new AtomicBoolean();
        return Panache.withTransaction(() -> webhooks.findById(id).map(w -> {
                    WebhookEntity entity = found(w, id);
                    WebhookRequest request =
                            given.url() == null ? given : given.withUrl(urlToStore(given.url(), entity.url));
                    Settings settings = settings(request, entity.routingKey != null);
                    String groupBy = entity.groupBy;
                    String matchers = entity.matchers;
                    String severities = entity.severities;
                    String events = entity.events;
                    apply(request, settings, entity);
                    // Whatever changes which alerts it selects: a group it no longer selects would be repeated to it.
                    // Disabling is not such a change: a disabled webhook's groups wait, unsent, for it to be enabled.
                    regrouped.set(!entity.groupBy.equals(groupBy)
                            || !entity.matchers.equals(matchers)
                            || !entity.severities.equals(severities)
                            || !entity.events.equals(events));
                    if (request.secret() != null) {
                        entity.secret = request.secret();
                    }
                    entity.updatedAt = Instant.now();
                    return entity;
                }))
                .map(w -> response(w, given.secret() != null, false))
                .call(this::refresh)
                .call(w ->
                        regrouped.get() ? groups.forget(id) : Uni.createFrom().voidItem());
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
                        d.groupKey(),
                        d.alertSeq(),
                        d.alertId(),
                        d.actionId(),
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
                            .map(w -> new Receiver(
                                    w.id,
                                    w.name,
                                    w.url,
                                    w.secret,
                                    severities(w.severities),
                                    grouping(w),
                                    kind(w),
                                    events(w.events),
                                    w.routingKey,
                                    matchers(w.matchers)))
                            .toList());
                    dispatcher.kick();
                })
                .replaceWithVoid();
    }

    /**
     * The request's grouping, omitted fields at their defaults (the repeat interval at {@code defaultRepeat}); refused with every violation (those found before included) when a duration is out
     * of range, a label is named twice, or the repeat interval is shorter than the group interval.
     */
    private static GroupPolicy grouping(WebhookRequest request, Duration defaultRepeat, List<Violation> violations) {
        List<String> groupBy = request.groupBy() == null ? GroupPolicy.DEFAULT_GROUP_BY : request.groupBy();
        if (new HashSet<>(groupBy).size() != groupBy.size()) {
            violations.add(new Violation("groupBy", "must not name a label twice"));
        }
        Duration wait = duration(
                "groupWait",
                request.groupWait(),
                GroupPolicy.DEFAULT_GROUP_WAIT,
                Duration.ZERO,
                MAX_GROUP_WAIT,
                violations);
        Duration interval = duration(
                "groupInterval",
                request.groupInterval(),
                GroupPolicy.DEFAULT_GROUP_INTERVAL,
                Duration.ofSeconds(1),
                MAX_GROUP_INTERVAL,
                violations);
        Duration repeat = duration(
                "repeatInterval",
                request.repeatInterval(),
                defaultRepeat,
                Duration.ofSeconds(1),
                MAX_REPEAT_INTERVAL,
                violations);
        if (interval != null && repeat != null && repeat.compareTo(interval) < 0) {
            violations.add(new Violation("repeatInterval", "must not be shorter than groupInterval"));
        }
        if (!violations.isEmpty()) {
            throw new ValidationFailedException(violations);
        }
        return new GroupPolicy(groupBy, wait, interval, repeat);
    }

    private static Duration duration(
            String field, String text, Duration fallback, Duration min, Duration max, List<Violation> violations) {
        if (text == null) {
            return fallback;
        }
        Duration value = DurationText.parse(text).orElse(null);
        if (value == null || value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            violations.add(new Violation(
                    field,
                    "must be a duration from " + DurationText.format(min) + " to " + DurationText.format(max)
                            + ", such as 10s, 1m or 4h"));
            return null;
        }
        return value;
    }

    private static GroupPolicy grouping(WebhookEntity w) {
        return new GroupPolicy(
                Arrays.stream(w.groupBy.split(",")).filter(s -> !s.isEmpty()).toList(),
                Duration.ofMillis(w.groupWaitMs),
                Duration.ofMillis(w.groupIntervalMs),
                Duration.ofMillis(w.repeatIntervalMs));
    }

    /** A request's receiver settings and grouping, checked together so that one answer names every bad field. */
    private record Settings(
            ReceiverKind kind,
            String url,
            Set<NotificationTopic> events,
            List<Matcher> matchers,
            GroupPolicy grouping) {}

    /**
     * Checks the receiver's kind and what goes with it: a URL (the Events API by default for PagerDuty, reduced to
     * its base for PagerDuty and Alertmanager when a full endpoint is given), a routing key for PagerDuty only, no
     * actions for an Alertmanager. An Alertmanager resolves alerts it is not sent again, so its subscriptions repeat
     * every minute unless told otherwise, as Prometheus does.
     *
     * @param hasRoutingKey whether the stored subscription has a routing key an update may keep
     */
    static Settings settings(WebhookRequest request, boolean hasRoutingKey) {
        List<Violation> violations = new ArrayList<>();
        ReceiverKind kind = request.kind() == null
                ? ReceiverKind.GENERIC
                : ReceiverKind.parse(request.kind()).orElse(ReceiverKind.GENERIC);
        String url = request.url();
        if (url != null) {
            url = switch (kind) {
                case PAGERDUTY -> strip(url, "/v2/change/enqueue", "/v2/enqueue");
                case ALERTMANAGER -> strip(url, "/api/v2/alerts");
                default -> url;
            };
        } else if (kind == ReceiverKind.PAGERDUTY) {
            url = PAGERDUTY_EVENTS_API;
        } else {
            violations.add(new Violation("url", "must not be blank"));
        }
        Set<NotificationTopic> events = EnumSet.noneOf(NotificationTopic.class);
        List<String> named = request.events() == null ? List.of("alerts") : request.events();
        named.forEach(e -> NotificationTopic.parse(e).ifPresent(events::add));
        if (events.size() != named.size()) {
            violations.add(new Violation("events", "must not name alerts or actions twice"));
        }
        if (events.contains(NotificationTopic.ACTIONS) && !kind.takesActions()) {
            violations.add(new Violation(
                    "events", "an alertmanager receiver takes alerts only: Alertmanager has no place for actions"));
        }
        if (kind == ReceiverKind.PAGERDUTY && request.routingKey() == null && !hasRoutingKey) {
            violations.add(new Violation("routingKey", "is required for kind pagerduty (the integration key)"));
        }
        if (kind != ReceiverKind.PAGERDUTY && request.routingKey() != null) {
            violations.add(new Violation("routingKey", "is only for kind pagerduty"));
        }
        List<Matcher> matchers = matchers(request.matchers(), violations);
        Duration defaultRepeat =
                kind == ReceiverKind.ALERTMANAGER ? ALERTMANAGER_REPEAT_INTERVAL : GroupPolicy.DEFAULT_REPEAT_INTERVAL;
        GroupPolicy grouping = grouping(request, defaultRepeat, violations);
        return new Settings(kind, url, events, matchers, grouping);
    }

    /** The routing matchers as written, each checked as a silence's is (a regular expression must compile). */
    private static List<Matcher> matchers(List<MatcherRequest> requested, List<Violation> violations) {
        if (requested == null) {
            return List.of();
        }
        List<Matcher> matchers = new ArrayList<>(requested.size());
        for (int i = 0; i < requested.size(); i++) {
            MatcherRequest m = requested.get(i);
            boolean regex = Boolean.TRUE.equals(m.isRegex());
            Violation invalid = SilenceService.check(i, m.name(), m.value(), regex);
            if (invalid != null) {
                violations.add(invalid);
            } else {
                matchers.add(new Matcher(m.name(), m.value(), regex, !Boolean.FALSE.equals(m.isEqual())));
            }
        }
        return matchers;
    }

    private static List<Matcher> matchers(String stored) {
        try {
            return MATCHER_JSON.readValue(stored, MATCHERS);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored webhook matchers are not valid JSON", e);
        }
    }

    private static String strip(String url, String... endpoints) {
        String base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        for (String endpoint : endpoints) {
            if (base.endsWith(endpoint)) {
                return base.substring(0, base.length() - endpoint.length());
            }
        }
        return base;
    }

    private static void apply(WebhookRequest request, Settings settings, WebhookEntity entity) {
        GroupPolicy grouping = settings.grouping();
        entity.kind = settings.kind().text();
        entity.url = settings.url();
        entity.events = settings.events().stream().map(NotificationTopic::text).collect(Collectors.joining(","));
        if (settings.kind() != ReceiverKind.PAGERDUTY) {
            entity.routingKey = null;
        } else if (request.routingKey() != null) {
            entity.routingKey = request.routingKey();
        }
        try {
            entity.matchers = MATCHER_JSON.writeValueAsString(settings.matchers());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("webhook matchers cannot be written as JSON", e);
        }
        entity.groupBy = String.join(",", grouping.groupBy());
        entity.groupWaitMs = grouping.groupWait().toMillis();
        entity.groupIntervalMs = grouping.groupInterval().toMillis();
        entity.repeatIntervalMs = grouping.repeatInterval().toMillis();
        entity.name = request.name().strip();
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

    /**
     * @param withSecret whether to show the secret (created or rotated)
     * @param withUrl whether to show the URL in full (created); otherwise only its scheme, host and port
     */
    private static WebhookResponse response(WebhookEntity w, boolean withSecret, boolean withUrl) {
        return new WebhookResponse(
                w.id,
                w.name,
                w.kind,
                withUrl ? w.url : maskUrl(w.url),
                events(w.events).stream().map(NotificationTopic::text).toList(),
                mask(w.routingKey),
                severities(w.severities),
                matchers(w.matchers),
                w.enabled,
                grouping(w).groupBy(),
                DurationText.format(Duration.ofMillis(w.groupWaitMs)),
                DurationText.format(Duration.ofMillis(w.groupIntervalMs)),
                DurationText.format(Duration.ofMillis(w.repeatIntervalMs)),
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

    private static ReceiverKind kind(WebhookEntity w) {
        return ReceiverKind.parse(w.kind).orElse(ReceiverKind.GENERIC);
    }

    private static Set<NotificationTopic> events(String stored) {
        Set<NotificationTopic> set = EnumSet.noneOf(NotificationTopic.class);
        Arrays.stream(stored.split(","))
                .map(NotificationTopic::parse)
                .flatMap(java.util.Optional::stream)
                .forEach(set::add);
        return set;
    }

    /** A secret as the API shows it: never in full, only enough to tell two keys apart. */
    static String mask(String secret) {
        if (secret == null) {
            return null;
        }
        return secret.length() < 12 ? "****" : "****" + secret.substring(secret.length() - 4);
    }

    /**
     * The URL an update stores: the stored one when the request gives it back as a read shows it ({@link #maskUrl}),
     * as a client that reads a subscription, changes another field and writes it back does; else the one given.
     */
    static String urlToStore(String given, String stored) {
        return !given.equals(stored) && given.equals(maskUrl(stored)) ? stored : given;
    }

    /**
     * A URL as the API shows it: its scheme, host and port, the rest ({@code /…}) hidden. A Slack incoming webhook's
     * path, a token in the query or credentials before the host are secrets as a routing key is.
     */
    static String maskUrl(String url) {
        if (url == null) {
            return null;
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            return "****";
        }
        String authority = uri.getRawAuthority();
        if (uri.getScheme() == null || authority == null) {
            return "****";
        }
        // The host and port only (a host name URI does not take, e.g. with an underscore, has no getHost()).
        String base = uri.getScheme() + "://" + authority.substring(authority.lastIndexOf('@') + 1);
        boolean more = uri.getRawUserInfo() != null
                || (uri.getRawPath() != null
                        && !uri.getRawPath().isEmpty()
                        && !uri.getRawPath().equals("/"))
                || uri.getRawQuery() != null
                || uri.getRawFragment() != null;
        return more ? base + "/\u2026" : base;
    }

    private static String newSecret() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }
}
