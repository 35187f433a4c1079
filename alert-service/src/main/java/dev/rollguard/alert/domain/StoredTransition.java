package dev.rollguard.alert.domain;

import dev.rollguard.schemas.event.AlertEvent;

/** An alert transition as committed: its sequence number in the outbox and the event. */
public record StoredTransition(long seq, AlertEvent event) {}
