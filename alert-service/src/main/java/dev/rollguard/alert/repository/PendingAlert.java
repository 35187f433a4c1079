package dev.rollguard.alert.repository;

import dev.rollguard.schemas.event.AlertEvent;
import java.util.List;

/**
 * An alert transition to store, with the webhook deliveries to create in the same transaction.
 *
 * @param json the alert's JSON view
 * @param avro the AlertEvent, single-object encoded, as it goes to Kafka
 * @param deliveries webhook id and payload of each delivery
 */
public record PendingAlert(AlertEvent event, String json, byte[] avro, List<Delivery> deliveries) {

    /** A delivery of this alert to one webhook. */
    public record Delivery(String webhookId, String payload) {}
}
