package dev.rollguard.alert.mapping;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A postable alert of Alertmanager's API v2 ({@code POST /api/v2/alerts} takes a JSON array of them,
 * https://github.com/prometheus/alertmanager/blob/main/api/v2/openapi.yaml, "postableAlert"), so an existing
 * Alertmanager routes, groups, inhibits and silences Rollguard's alerts like its own.
 *
 * <p>Alertmanager resolves an alert whose {@code endsAt} has passed, so a firing alert is sent, as Prometheus sends
 * its alerts, with {@code endsAt} some resends ahead ({@link #VALIDITY_RESENDS} times the subscription's repeat
 * interval, after which Rollguard notifies the group again) and a resolved one with the time it ended.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AlertmanagerAlert(
        Map<String, String> labels,
        Map<String, String> annotations,
        String startsAt,
        String endsAt,
        String generatorURL) {

    /** Prometheus sends alerts valid for four resend intervals, so a lost notification or two resolves nothing. */
    public static final int VALIDITY_RESENDS = 4;

    /** The group's alerts as one request body. */
    public static List<AlertmanagerAlert> forAlerts(
            WebhookPayload group, ConsoleLinks links, Instant now, Duration resendInterval) {
        String validUntil =
                now.plus(resendInterval.multipliedBy(VALIDITY_RESENDS)).toString();
        return group.alerts().stream()
                .map(alert -> new AlertmanagerAlert(
                        alert.labels(),
                        alert.annotations(),
                        alert.startsAt(),
                        alert.firing() ? validUntil : alert.endsAt(),
                        links.alert(alert.labels())))
                .toList();
    }
}
