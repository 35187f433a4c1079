package dev.rollguard.alert.domain.notify;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** The shape a subscription's receiver expects, and so the body it is sent. */
public enum ReceiverKind {
    /** Rollguard's own body: the Alertmanager webhook (version 4) for alerts, a documented JSON body for actions. */
    GENERIC,
    /** A Slack-compatible incoming webhook: {@code text} and {@code blocks}. */
    SLACK,
    /** PagerDuty Events API v2: alert events (trigger/resolve) and change events. */
    PAGERDUTY,
    /** An Alertmanager's {@code POST /api/v2/alerts}: alerts only. */
    ALERTMANAGER;

    /** The names clients write: {@code generic, slack, pagerduty, alertmanager}. */
    public static final String NAMES = "generic, slack, pagerduty, alertmanager";

    /** The name clients write and the database keeps. */
    public String text() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<ReceiverKind> parse(String text) {
        return Arrays.stream(values()).filter(k -> k.text().equals(text)).findFirst();
    }

    /** Whether this receiver can be told about automatic actions (an Alertmanager only takes alerts). */
    public boolean takesActions() {
        return this != ALERTMANAGER;
    }
}
