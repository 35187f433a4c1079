package dev.rollguard.alert.service;

import dev.rollguard.alert.domain.grouping.GroupPolicy;
import dev.rollguard.alert.domain.notify.NotificationTopic;
import dev.rollguard.alert.domain.notify.ReceiverKind;
import dev.rollguard.alert.domain.silence.Matcher;
import dev.rollguard.alert.mapping.Notification;
import dev.rollguard.schemas.event.Severity;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The enabled webhooks as the evaluator and the dispatcher see them, replaced whenever webhooks change, so neither
 * queries the webhook table per alert.
 */
@ApplicationScoped
public class WebhookRegistry {

    /**
     * An enabled webhook: where and in which shape it is notified, of what, and how it groups alert notifications.
     *
     * @param routingKey the PagerDuty integration key, null for other kinds
     * @param matchers the alert labels it routes on: all must match (empty: every alert of its severities)
     */
    public record Receiver(
            String id,
            String name,
            String url,
            String secret,
            Set<Severity> severities,
            GroupPolicy grouping,
            ReceiverKind kind,
            Set<NotificationTopic> events,
            String routingKey,
            List<Matcher> matchers) {

        public Receiver {
            matchers = List.copyOf(matchers);
        }

        /**
         * Whether an alert of this severity and with these labels is notified to this receiver: it subscribes to
         * alerts, the severity is one of its severities (when it names any), and every matcher matches the labels.
         */
        public boolean wants(Severity severity, Map<String, String> labels) {
            return events.contains(NotificationTopic.ALERTS)
                    && (severities.isEmpty() || severities.contains(severity))
                    && matchers.stream().allMatch(m -> m.matches(labels));
        }

        /** Whether automatic actions are notified to this receiver. */
        public boolean wantsActions() {
            return events.contains(NotificationTopic.ACTIONS) && kind.takesActions();
        }

        /**
         * The URL a delivery is posted to: the webhook's own for generic and Slack receivers; for PagerDuty the Events
         * API's {@code /v2/enqueue} or {@code /v2/change/enqueue} under the configured base, for Alertmanager its
         * {@code /api/v2/alerts}.
         *
         * @param endpoint null for the receiver's main endpoint, {@link Notification#CHANGE_ENDPOINT} for PagerDuty change events
         */
        public String target(String endpoint) {
            String base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
            return switch (kind) {
                case GENERIC, SLACK -> url;
                case PAGERDUTY ->
                    base + (Notification.CHANGE_ENDPOINT.equals(endpoint) ? "/v2/change/enqueue" : "/v2/enqueue");
                case ALERTMANAGER -> base + "/api/v2/alerts";
            };
        }
    }

    private volatile Map<String, Receiver> receivers = Map.of();
    private final CompletableFuture<Void> loaded = new CompletableFuture<>();

    public void replace(List<Receiver> enabled) {
        receivers = enabled.stream().collect(Collectors.toUnmodifiableMap(Receiver::id, Function.identity()));
        loaded.complete(null);
    }

    /** Completes once the webhooks were first loaded: until then, nobody can be notified of anything. */
    public CompletionStage<Void> loaded() {
        return loaded.minimalCompletionStage();
    }

    public List<Receiver> receivers() {
        return List.copyOf(receivers.values());
    }

    /** The enabled webhook, or null. */
    public Receiver receiver(String id) {
        return receivers.get(id);
    }
}
