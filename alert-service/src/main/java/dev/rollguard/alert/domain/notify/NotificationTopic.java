package dev.rollguard.alert.domain.notify;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** What a subscription is notified of. */
public enum NotificationTopic {
    /** Alert transitions, grouped. */
    ALERTS,
    /** The automatic actions: the rollback-service's kills, reverts, pauses and notifications, the promoter's steps. */
    ACTIONS;

    public String text() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<NotificationTopic> parse(String text) {
        return Arrays.stream(values()).filter(t -> t.text().equals(text)).findFirst();
    }
}
