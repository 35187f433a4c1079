package dev.rollguard.alert.mapping;

import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.event.AlertStatus;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The body of a webhook notification, shaped like Prometheus Alertmanager's webhook (version 4) so that receivers
 * written for Alertmanager (chat bridges, paging tools) accept it: the alerts of one group, with the group's labels
 * and the labels and annotations all its alerts share. Its {@code externalURL} is the console and each alert's
 * {@code generatorURL} the console page it is best read on (its flag's page, else the alerts page): pages people can
 * open, never a token-protected API.
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

    private static final Comparator<Alert> ORDER =
            Comparator.comparing(Alert::startsAt).thenComparing(Alert::fingerprint);

    /** One alert of the payload. */
    public record Alert(
            String status,
            Map<String, String> labels,
            Map<String, String> annotations,
            String startsAt,
            String endsAt,
            String generatorURL,
            String fingerprint) {

        public boolean firing() {
            return "firing".equals(status);
        }
    }

    /** The payload element of an alert transition, linked to its console page. */
    public static Alert alert(AlertEvent event, ConsoleLinks links) {
        return new Alert(
                event.getStatus() == AlertStatus.FIRING ? "firing" : "resolved",
                new TreeMap<>(event.getLabels()),
                new TreeMap<>(event.getAnnotations()),
                time(event.getStartsAt()),
                event.getEndsAt() == null ? ZERO_TIME : time(event.getEndsAt()),
                links.alert(event.getLabels()),
                event.getFingerprint());
    }

    /**
     * The notification of a group: firing when any of its alerts fires; alerts ordered by start, at most
     * {@code maxAlerts} of them (0: all), the others counted in {@code truncatedAlerts}; common labels and
     * annotations are computed over every alert of the group, as Alertmanager does.
     */
    public static WebhookPayload group(
            String groupKey,
            Map<String, String> groupLabels,
            List<Alert> alerts,
            String receiver,
            ConsoleLinks links,
            int maxAlerts) {
        List<Alert> ordered = alerts.stream().sorted(ORDER).toList();
        List<Alert> sent = maxAlerts > 0 && ordered.size() > maxAlerts ? ordered.subList(0, maxAlerts) : ordered;
        return new WebhookPayload(
                "4",
                groupKey,
                ordered.size() - sent.size(),
                alerts.stream().anyMatch(Alert::firing) ? "firing" : "resolved",
                receiver,
                new TreeMap<>(groupLabels),
                common(alerts.stream().map(Alert::labels).toList()),
                common(alerts.stream().map(Alert::annotations).toList()),
                links.base(),
                List.copyOf(sent));
    }

    /** The entries present with the same value in every map (none for no maps). */
    public static Map<String, String> common(List<Map<String, String>> maps) {
        if (maps.isEmpty()) {
            return Map.of();
        }
        Map<String, String> common = new HashMap<>(maps.get(0));
        for (Map<String, String> map : maps.subList(1, maps.size())) {
            common.entrySet().removeIf(e -> !Objects.equals(map.get(e.getKey()), e.getValue()));
        }
        return new TreeMap<>(common);
    }

    private static String time(Instant instant) {
        return instant.toString();
    }
}
