package dev.rollguard.alert.repository;

import dev.rollguard.schemas.event.AlertEvent;
import java.time.Instant;
import java.util.List;

/**
 * An alert transition to store, with its place in the notification group of each webhook that wants it, written in
 * the same transaction.
 *
 * @param json the alert's JSON view
 * @param avro the AlertEvent, single-object encoded, as it goes to Kafka
 * @param notifications the alert's group in each webhook that wants it
 */
public record PendingAlert(AlertEvent event, String json, byte[] avro, List<GroupEntry> notifications) {

    /**
     * The alert in one webhook's notification group.
     *
     * @param groupId hex SHA-256 of the group key
     * @param groupLabels the group labels as JSON
     * @param firstFlushAt when the group is first notified, should this alert open it
     * @param alert the alert's webhook payload element as JSON
     */
    public record GroupEntry(
            String webhookId,
            String groupId,
            String groupKey,
            String groupLabels,
            Instant firstFlushAt,
            boolean firing,
            String alert) {}
}
