package dev.rollguard.alert.mapping;

import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.event.AlertStatus;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The body of a webhook delivery, shaped like Prometheus Alertmanager's webhook (version 4) so that receivers written
 * for Alertmanager (chat bridges, paging tools) accept it. One alert per delivery; the group is the alert itself.
 */
public record WebhookPayload(
        String version,
        String groupKey,
        int truncatedAlerts,
        String status,
        String receiver,
        Map<String, String> groupLabels,
        Map<String, String> commonLabels,
        Map<String, String> commonAnnotations,
        String externalURL,
        List<Alert> alerts) {

    /** Alertmanager's "zero" time: what it sends as endsAt while an alert fires. */
    public static final String ZERO_TIME = "0001-01-01T00:00:00Z";

    /** One alert of the payload. */
    public record Alert(
            String status,
            Map<String, String> labels,
            Map<String, String> annotations,
            String startsAt,
            String endsAt,
            String generatorURL,
            String fingerprint) {}

    public static WebhookPayload of(AlertEvent event, String receiver, String externalUrl) {
        String status = event.getStatus() == AlertStatus.FIRING ? "firing" : "resolved";
        Map<String, String> labels = Map.copyOf(event.getLabels());
        Map<String, String> annotations = Map.copyOf(event.getAnnotations());
        String base = externalUrl.endsWith("/") ? externalUrl.substring(0, externalUrl.length() - 1) : externalUrl;
        Alert alert = new Alert(
                status,
                labels,
                annotations,
                time(event.getStartsAt()),
                event.getEndsAt() == null ? ZERO_TIME : time(event.getEndsAt()),
                base + "/api/alerts?view=history&fingerprint=" + event.getFingerprint(),
                event.getFingerprint());
        return new WebhookPayload(
                "4",
                "{}:{fingerprint=\"" + event.getFingerprint() + "\"}",
                0,
                status,
                receiver,
                Map.of("alertname", labels.getOrDefault("alertname", event.getRuleName())),
                labels,
                annotations,
                base,
                List.of(alert));
    }

    private static String time(Instant instant) {
        return instant.toString();
    }
}
