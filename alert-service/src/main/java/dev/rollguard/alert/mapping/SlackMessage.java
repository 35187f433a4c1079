package dev.rollguard.alert.mapping;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.rollguard.alert.domain.notify.ActionNotice;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A message for a Slack-compatible incoming webhook (https://api.slack.com/messaging/webhooks): {@code text} is the
 * notification's fallback and preview, {@code blocks} the Block Kit layout (header, section and context blocks,
 * https://api.slack.com/reference/block-kit/blocks). Links point at console pages. Texts are escaped as Slack asks
 * ({@code & < >}) and cut to the blocks' limits.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SlackMessage(String text, List<Map<String, Object>> blocks) {

    /** Alerts listed one section each; Slack takes at most 50 blocks per message. */
    static final int MAX_ALERT_SECTIONS = 20;

    private static final int HEADER_MAX = 150;
    private static final int SECTION_MAX = 3000;

    /** The notification of a group of alerts: a header with status and count, one section per alert. */
    public static SlackMessage forAlerts(WebhookPayload group, ConsoleLinks links) {
        long firing =
                group.alerts().stream().filter(WebhookPayload.Alert::firing).count();
        String name = group.commonLabels().getOrDefault("alertname", "Rollguard alerts");
        String severity = group.commonLabels().get("severity");
        String title = "[" + group.status().toUpperCase(java.util.Locale.ROOT) + (firing > 0 ? ":" + firing : "") + "] "
                + name + (severity == null ? "" : " (" + severity + ")");
        List<Map<String, Object>> blocks = new ArrayList<>();
        blocks.add(header(title));
        List<WebhookPayload.Alert> alerts = group.alerts();
        for (WebhookPayload.Alert alert : alerts.subList(0, Math.min(alerts.size(), MAX_ALERT_SECTIONS))) {
            blocks.add(section(alertText(alert, links)));
        }
        int more = alerts.size() - Math.min(alerts.size(), MAX_ALERT_SECTIONS) + group.truncatedAlerts();
        StringBuilder context = new StringBuilder();
        if (more > 0) {
            context.append(more)
                    .append(" more alert")
                    .append(more == 1 ? "" : "s")
                    .append(" · ");
        }
        context.append(link(links.alerts(), "All alerts in the Rollguard console"));
        blocks.add(context(context.toString()));
        return new SlackMessage(title, blocks);
    }

    /** An automatic action: what was done to which flag, why, the evidence, and a link to the flag's page. */
    public static SlackMessage forAction(ActionNotice action, ConsoleLinks links) {
        String title = "Rollguard " + action.source() + ": " + action.headline();
        List<Map<String, Object>> blocks = new ArrayList<>();
        blocks.add(header(title));
        blocks.add(section("*Reason:* " + escape(action.reason()) + "\n*Evidence:* " + escape(action.evidence())));
        List<Map<String, Object>> fields = new ArrayList<>();
        fields.add(mrkdwn("*Action*\n" + escape(action.action())));
        fields.add(mrkdwn("*Outcome*\n" + escape(action.outcome())));
        fields.add(mrkdwn("*Flag*\n" + (action.flagKey() == null ? "none" : escape(action.flagKey()))));
        fields.add(
                mrkdwn("*At*\n" + (action.at() == null ? "unknown" : action.at().toString())));
        Map<String, Object> facts = new LinkedHashMap<>();
        facts.put("type", "section");
        facts.put("fields", fields);
        blocks.add(facts);
        String where = action.flagKey() == null
                ? link(links.rollbacks(null), "Automatic actions in the Rollguard console")
                : link(links.flag(action.flagKey()), "Open " + action.flagKey() + " in the Rollguard console")
                        + (action.fromRollbackService()
                                ? " · " + link(links.rollbacks(action.flagKey()), "its automatic actions")
                                : "");
        blocks.add(context(where + " · action " + escape(action.actionId())));
        return new SlackMessage(title + ": " + action.reason(), blocks);
    }

    private static String alertText(WebhookPayload.Alert alert, ConsoleLinks links) {
        Map<String, String> labels = alert.labels();
        String name = labels.getOrDefault("alertname", "alert");
        StringBuilder text = new StringBuilder();
        text.append(alert.firing() ? ":red_circle: " : ":large_green_circle: ")
                .append('*')
                .append(link(links.alert(labels), name))
                .append("* ")
                .append(alert.firing() ? "firing since " + alert.startsAt() : "resolved at " + alert.endsAt());
        String summary = alert.annotations().get("summary");
        if (summary != null) {
            text.append('\n').append(escape(summary));
        }
        String description = alert.annotations().get("description");
        if (description != null) {
            text.append('\n').append(escape(description));
        }
        String runbook = alert.annotations().get("runbook_url");
        if (runbook != null && runbook.matches("https?://\\S+")) {
            text.append('\n').append(link(runbook, "Runbook"));
        }
        return text.toString();
    }

    private static Map<String, Object> header(String text) {
        return Json.obj("type", "header", "text", Json.obj("type", "plain_text", "text", cut(text, HEADER_MAX)));
    }

    private static Map<String, Object> section(String mrkdwn) {
        return Json.obj("type", "section", "text", mrkdwn(mrkdwn));
    }

    private static Map<String, Object> context(String mrkdwn) {
        return Json.obj("type", "context", "elements", List.of(mrkdwn(mrkdwn)));
    }

    private static Map<String, Object> mrkdwn(String text) {
        return Json.obj("type", "mrkdwn", "text", cut(text, SECTION_MAX));
    }

    private static String link(String url, String label) {
        return "<" + url.replace(">", "%3E").replace("|", "%7C") + "|" + escape(label) + ">";
    }

    /** Slack's control characters in message text (https://api.slack.com/reference/surfaces/formatting#escaping). */
    static String escape(String text) {
        return text == null
                ? ""
                : text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    private static String cut(String text, int max) {
        return text.length() <= max ? text : text.substring(0, max - 1) + "…";
    }
}
