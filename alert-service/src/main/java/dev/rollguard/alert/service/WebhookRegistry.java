package dev.rollguard.alert.service;

import dev.rollguard.alert.domain.grouping.GroupPolicy;
import dev.rollguard.schemas.event.Severity;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The enabled webhooks as the evaluator and the dispatcher see them, replaced whenever webhooks change, so neither
 * queries the webhook table per alert.
 */
@ApplicationScoped
public class WebhookRegistry {

    /** An enabled webhook and how it groups its notifications. */
    public record Receiver(
            String id, String name, String url, String secret, Set<Severity> severities, GroupPolicy grouping) {
        public boolean wants(Severity severity) {
            return severities.isEmpty() || severities.contains(severity);
        }
    }

    private volatile Map<String, Receiver> receivers = Map.of();

    public void replace(List<Receiver> enabled) {
        receivers = enabled.stream().collect(Collectors.toUnmodifiableMap(Receiver::id, Function.identity()));
    }

    public List<Receiver> receivers() {
        return List.copyOf(receivers.values());
    }

    /** The enabled webhook, or null. */
    public Receiver receiver(String id) {
        return receivers.get(id);
    }
}
