package dev.rollguard.alert.mapping;

import dev.rollguard.alert.domain.notify.ActionNotice;
import dev.rollguard.alert.domain.notify.ReceiverKind;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** What each kind of receiver is sent for a notification of alerts and for an automatic action. */
public final class ReceiverPayloads {

    private ReceiverPayloads() {}

    /**
     * The requests for a group notification: one for generic, Slack and Alertmanager receivers, one per alert for
     * PagerDuty.
     *
     * @param resendInterval how often a still-firing group is notified again (the subscription's repeat interval)
     */
    public static List<Notification> forGroup(
            ReceiverKind kind,
            String routingKey,
            WebhookPayload group,
            ConsoleLinks links,
            Instant now,
            Duration resendInterval) {
        return switch (kind) {
            case GENERIC -> List.of(new Notification(null, group));
            case SLACK -> List.of(new Notification(null, SlackMessage.forAlerts(group, links)));
            case PAGERDUTY -> PagerDutyEvent.forAlerts(group, routingKey, links);
            case ALERTMANAGER ->
                List.of(new Notification(null, AlertmanagerAlert.forAlerts(group, links, now, resendInterval)));
        };
    }

    /**
     * How many alerts a group notification to this kind of receiver lists, the rest counted in {@code truncatedAlerts}
     * (0: all), given {@code max-alerts-per-notification}: PagerDuty and an Alertmanager get every alert (each is an
     * event of its own, and a resolution left out would never be sent); a Slack message shows at most
     * {@link SlackMessage#MAX_ALERT_SECTIONS}. An alert left out is not carried by the notification.
     */
    public static int maxAlerts(ReceiverKind kind, int maxAlertsPerNotification) {
        return switch (kind) {
            case GENERIC -> maxAlertsPerNotification;
            case SLACK ->
                maxAlertsPerNotification > 0
                        ? Math.min(maxAlertsPerNotification, SlackMessage.MAX_ALERT_SECTIONS)
                        : SlackMessage.MAX_ALERT_SECTIONS;
            case PAGERDUTY, ALERTMANAGER -> 0;
        };
    }

    /** The request for an automatic action; none for an Alertmanager, which takes alerts only. */
    public static List<Notification> forAction(
            ReceiverKind kind, String routingKey, String receiver, ActionNotice action, ConsoleLinks links) {
        return switch (kind) {
            case GENERIC -> List.of(new Notification(null, ActionPayload.of(action, receiver, links)));
            case SLACK -> List.of(new Notification(null, SlackMessage.forAction(action, links)));
            case PAGERDUTY -> List.of(PagerDutyEvent.forAction(action, routingKey, links));
            case ALERTMANAGER -> List.of();
        };
    }
}
