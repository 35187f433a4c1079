package dev.rollguard.alert.domain.grouping;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * How one webhook groups its notifications, with Alertmanager's semantics: alerts with equal values of the
 * {@code groupBy} labels form a group; a new group is notified {@code groupWait} after its first alert, so that
 * alerts of the same cause arrive together; later changes (new alerts, resolutions) are notified at most every
 * {@code groupInterval}; a group that still fires and has not changed is notified again after
 * {@code repeatInterval}. A resolved alert is carried by the group's notifications until one carrying it is
 * delivered, then forgotten; a receiver that keeps failing hears it for at most {@code repeatInterval} after it
 * resolved ({@link #stillCarries}).
 *
 * @param groupBy label names; an alert without one of them groups as if it had it empty (empty list: one group)
 */
public record GroupPolicy(List<String> groupBy, Duration groupWait, Duration groupInterval, Duration repeatInterval) {

    /**
     * One rule seen on many scopes (global, tables, platforms) is one notification; guard alerts of different flags
     * are separate ones ({@code flag} is only on flag-scoped alerts).
     */
    public static final List<String> DEFAULT_GROUP_BY = List.of("rule_id", "severity", "flag");

    public static final Duration DEFAULT_GROUP_WAIT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_GROUP_INTERVAL = Duration.ofMinutes(1);
    public static final Duration DEFAULT_REPEAT_INTERVAL = Duration.ofHours(4);

    /** What a flush of a group does. */
    public record Flush(boolean send, Instant nextFlushAt) {
        /** Whether the group is finished (nothing fires, nothing left to tell) and can be forgotten. */
        public boolean forget() {
            return nextFlushAt == null;
        }
    }

    public GroupPolicy {
        groupBy = List.copyOf(groupBy);
    }

    public static GroupPolicy defaults() {
        return new GroupPolicy(DEFAULT_GROUP_BY, DEFAULT_GROUP_WAIT, DEFAULT_GROUP_INTERVAL, DEFAULT_REPEAT_INTERVAL);
    }

    /** The alert's values of the group-by labels, by name; labels it lacks or has empty are left out. */
    public SortedMap<String, String> groupLabels(Map<String, String> labels) {
        SortedMap<String, String> group = new TreeMap<>();
        for (String name : groupBy) {
            String value = labels.get(name);
            if (value != null && !value.isEmpty()) {
                group.put(name, value);
            }
        }
        return group;
    }

    /**
     * Alertmanager's group key for the root route: {@code {}:{name="value", ...}} with the group labels sorted by
     * name and values quoted; equal for exactly the alerts of one group.
     */
    public static String groupKey(SortedMap<String, String> groupLabels) {
        List<String> pairs = new ArrayList<>(groupLabels.size());
        groupLabels.forEach((name, value) -> pairs.add(name + "=" + quote(value)));
        return "{}:{" + String.join(", ", pairs) + "}";
    }

    /** Hex SHA-256 of a group key: the group's id in storage, where the key itself may be too long to index. */
    public static String groupId(String groupKey) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(groupKey.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }

    /** When a group whose first alert arrived at {@code firstAlertAt} is first notified. */
    public Instant firstFlushAt(Instant firstAlertAt) {
        return firstAlertAt.plus(groupWait);
    }

    /**
     * The decision at a group's flush time.
     *
     * @param changed alerts were added, changed or resolved since the last notification (a new group has changed)
     * @param lastNotifiedAt when the group was last notified, or null
     * @param firing whether any alert of the group fires
     */
    public Flush decide(boolean changed, Instant lastNotifiedAt, boolean firing, Instant now) {
        boolean repeatDue = firing && (lastNotifiedAt == null || !now.isBefore(lastNotifiedAt.plus(repeatInterval)));
        boolean send = changed || repeatDue;
        return new Flush(send, firing ? now.plus(groupInterval) : null);
    }

    /**
     * Whether a resolved alert is still carried by the group's notifications: until a notification written at least
     * {@code repeatInterval} after it resolved has carried it, as an Alertmanager drops resolved alerts some time after
     * they resolve, so a receiver that keeps failing for a reason that may pass (5xx, 429) is not sent the resolution
     * every group interval for ever. A receiver back at any time within the repeat interval still gets it (the
     * notification after its return is written before the alert is dropped), and a late flush sends it once. A
     * notification of the group that left the alert out (silenced then) does not count, so a silenced resolution is
     * never counted as dropped.
     *
     * @param resolvedAt when the resolution was stored in the group
     * @param carriedAt when a notification last carried the resolution, or null when none has
     */
    public boolean stillCarries(Instant resolvedAt, Instant carriedAt) {
        return carriedAt == null || carriedAt.isBefore(resolvedAt.plus(repeatInterval));
    }

    private static String quote(String value) {
        StringBuilder quoted = new StringBuilder(value.length() + 2).append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> quoted.append("\\\"");
                case '\\' -> quoted.append("\\\\");
                case '\n' -> quoted.append("\\n");
                default -> quoted.append(c);
            }
        }
        return quoted.append('"').toString();
    }
}
