package dev.rollguard.alert.api;

import dev.rollguard.alert.api.SilenceRequest.MatcherRequest;
import dev.rollguard.alert.domain.grouping.DurationText;
import dev.rollguard.schemas.event.Severity;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.util.List;
import java.util.Set;

/**
 * A webhook subscription as clients write it; every text is {@link CleanText}, each length at most its column's.
 * Omitted grouping fields take their defaults (on update too: a PUT replaces the subscription).
 *
 * @param kind the receiver's shape: generic (default), slack, pagerduty or alertmanager
 * @param url absolute http(s) URL the notifications are POSTed to: the webhook itself (generic, slack), the Events
 *     API's base (pagerduty; default https://events.pagerduty.com) or the Alertmanager's base URL (alertmanager)
 * @param events what the subscription is notified of: alerts, actions or both; default alerts
 * @param routingKey the PagerDuty integration key (pagerduty only, required there; kept when omitted on update)
 * @param secret HMAC key of the signature header; generated when omitted on create, kept when omitted on update
 * @param severities severities to deliver; empty or omitted: all
 * @param matchers routing on alert labels, as silences write them (severity, rule_id, flag, scope_type, any label):
 *     an alert is notified only when all match; empty or omitted: every alert (of its severities)
 * @param groupBy label names whose values group alerts into one notification; default rule_id, severity, flag;
 *     empty: all alerts in one group
 * @param groupWait wait before a new group's first notification (default 10s)
 * @param groupInterval least time between two notifications of a changed group (default 1m)
 * @param repeatInterval time after which an unchanged firing group is notified again (default 4h)
 */
public record WebhookRequest(
        @CleanText @NotBlank @Size(max = 200) String name,
        @CleanText @Pattern(regexp = "generic|slack|pagerduty|alertmanager", message = KIND) String kind,
        @CleanText @Size(max = 2000) @Pattern(regexp = "https?://\\S+", message = "must be an absolute http(s) URL")
                String url,
        @CleanText @Size(min = 16, max = 200) String secret,
        Set<@NotNull Severity> severities,
        Boolean enabled,
        @Size(max = 16)
                List<
                                @CleanText @NotNull @Size(max = 100)
                                @Pattern(
                                        regexp = "[a-zA-Z_][a-zA-Z0-9_]*",
                                        message = "must be a label name: a letter or '_', then letters, digits or '_'")
                                String>
                        groupBy,
        @CleanText @Pattern(regexp = DurationText.PATTERN, message = DURATION) String groupWait,
        @CleanText @Pattern(regexp = DurationText.PATTERN, message = DURATION) String groupInterval,
        @CleanText @Pattern(regexp = DurationText.PATTERN, message = DURATION) String repeatInterval,
        @Size(min = 1, max = 2, message = "must name alerts, actions or both")
                List<
                                @NotNull @CleanText
                                @Pattern(regexp = "alerts|actions", message = "must be alerts or actions") String>
                        events,
        @CleanText
                @Size(min = 1, max = 200)
                @Pattern(regexp = "\\S+", message = "must be a PagerDuty integration key (no spaces)")
                String routingKey,
        @Size(max = 16) List<@NotNull @Valid MatcherRequest> matchers) {

    /** The same request with another URL. */
    public WebhookRequest withUrl(String otherUrl) {
        return new WebhookRequest(
                name,
                kind,
                otherUrl,
                secret,
                severities,
                enabled,
                groupBy,
                groupWait,
                groupInterval,
                repeatInterval,
                events,
                routingKey,
                matchers);
    }

    static final String KIND = "must be one of generic, slack, pagerduty, alertmanager";
    static final String DURATION = "must be a duration such as 10s, 1m, 4h or 1h30m (units d, h, m, s, ms)";
}
