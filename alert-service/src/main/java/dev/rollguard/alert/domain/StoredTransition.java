package dev.rollguard.alert.domain;

import dev.rollguard.schemas.event.AlertEvent;

/**
 * An alert transition as committed: its sequence number in the outbox and the event.
 *
 * @param behind an earlier transition of its fingerprint that another instance stored (or that came from outside) was
 *     not published when this one was committed: this one must not reach Kafka before it
 */
public record StoredTransition(long seq, AlertEvent event, boolean behind) {}
