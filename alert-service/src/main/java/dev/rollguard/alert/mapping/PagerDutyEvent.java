package dev.rollguard.alert.mapping;

import dev.rollguard.alert.domain.notify.ActionNotice;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Bodies of the PagerDuty Events API v2. Alerts are alert events ("Send an Alert Event",
 * https://github.com/PagerDuty/developer-docs/blob/main/docs/events-API-v2/02-Trigger-Events.md): one per alert, {@code dedup_key} = the alert's fingerprint, {@code trigger} while it fires (sent
 * again with every notification of its group, which PagerDuty deduplicates into the open alert) and {@code resolve}
 * once. Automatic actions are change events ("Send a Change Event",
 * https://github.com/PagerDuty/developer-docs/blob/main/docs/events-API-v2/03-Change-Events.md):
 * PagerDuty shows them on the service's timeline next to its incidents and never pages anyone for them, which is what
 * a step already taken calls for.
 */
public final class PagerDutyEvent {

    /** PagerDuty cuts nothing itself but refuses a summary over 1024 characters. */
    static final int SUMMARY_MAX = 1024;

    private PagerDutyEvent() {}

    /** One alert event per alert of the group. */
    public static List<Notification> forAlerts(WebhookPayload group, String routingKey, ConsoleLinks links) {
        List<Notification> events = new ArrayList<>(group.alerts().size());
        for (WebhookPayload.Alert alert : group.alerts()) {
            events.add(new Notification(null, forAlert(alert, routingKey, links)));
        }
        return events;
    }

    static Map<String, Object> forAlert(WebhookPayload.Alert alert, String routingKey, ConsoleLinks links) {
        if (!alert.firing()) {
            return Json.obj("routing_key", routingKey, "event_action", "resolve", "dedup_key", alert.fingerprint());
        }
        Map<String, String> labels = alert.labels();
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("labels", labels);
        details.put("annotations", alert.annotations());
        details.put("firing_since", alert.startsAt());
        String name = labels.getOrDefault("alertname", "Rollguard alert");
        String summary = alert.annotations().getOrDefault("summary", name);
        return Json.obj(
                "routing_key", routingKey,
                "event_action", "trigger",
                "dedup_key", alert.fingerprint(),
                "payload",
                        Json.obj(
                                "summary", cut(summary),
                                "source", labels.getOrDefault("scope", "rollguard"),
                                "severity", severity(labels.get("severity")),
                                "timestamp", alert.startsAt(),
                                "component", component(labels),
                                "group", labels.get("rule_id"),
                                "class", name,
                                "custom_details", details),
                "links", List.of(Json.obj("href", links.alert(labels), "text", "Open in the Rollguard console")),
                "client", "Rollguard",
                "client_url", links.alerts());
    }

    /** A change event for an automatic action, to the change events endpoint. */
    public static Notification forAction(ActionNotice action, String routingKey, ConsoleLinks links) {
        Map<String, Object> details = Json.obj(
                "action", action.action(),
                "outcome", action.outcome(),
                "dry_run", action.dryRun(),
                "flag", action.flagKey(),
                "reason", action.reason(),
                "evidence", action.evidence(),
                "action_id", action.actionId(),
                "details", action.details());
        List<Map<String, Object>> linkList = new ArrayList<>();
        if (action.flagKey() != null) {
            linkList.add(
                    Json.obj("href", links.flag(action.flagKey()), "text", "Open the flag in the Rollguard console"));
        }
        if (action.fromRollbackService()) {
            linkList.add(Json.obj("href", links.rollbacks(action.flagKey()), "text", "Automatic actions"));
        }
        Map<String, Object> body = Json.obj(
                "routing_key", routingKey,
                "payload",
                        Json.obj(
                                "summary",
                                cut("Rollguard " + action.source() + ": " + action.headline() + ": " + action.reason()),
                                "timestamp",
                                action.at() == null ? null : action.at().toString(),
                                "source",
                                "rollguard-" + action.source(),
                                "custom_details",
                                details),
                "links", linkList);
        return new Notification(Notification.CHANGE_ENDPOINT, body);
    }

    /** Rollguard's critical and warning are PagerDuty's critical and warning; anything else is info. */
    static String severity(String severity) {
        if ("critical".equals(severity) || "warning".equals(severity)) {
            return severity;
        }
        return "info";
    }

    private static String component(Map<String, String> labels) {
        for (String label : List.of("flag", "table", "platform")) {
            String value = labels.get(label);
            if (value != null && !value.isEmpty()) {
                return value;
            }
        }
        return null;
    }

    private static String cut(String text) {
        return text.length() <= SUMMARY_MAX ? text : text.substring(0, SUMMARY_MAX - 1) + "…";
    }
}
