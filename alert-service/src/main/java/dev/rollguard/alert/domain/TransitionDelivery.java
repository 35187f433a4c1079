package dev.rollguard.alert.domain;

import java.time.Instant;

/**
 * Whether an alert transition reached Kafka's {@code alerts} topic, which the rollback-service and every other
 * subscriber read: an alert page or a webhook says nothing about it.
 *
 * @param at when Kafka acknowledged it, or when the relay dead-lettered it; null while pending
 * @param reason why it was dead-lettered; null otherwise
 */
public record TransitionDelivery(State state, Instant at, String reason) {

    /** Where a transition stands with the relay. */
    public enum State {
        /** In the outbox: the relay sends it. */
        PENDING,
        /** Acknowledged by Kafka. */
        PUBLISHED,
        /** Kafka can never take it (or its stored row cannot be decoded): kept, never sent on its own. */
        DEAD_LETTERED
    }

    /** From the outbox columns of its row. */
    public static TransitionDelivery of(Instant publishedAt, Instant deadLetteredAt, String deadLetterReason) {
        if (deadLetteredAt != null) {
            return new TransitionDelivery(State.DEAD_LETTERED, deadLetteredAt, deadLetterReason);
        }
        if (publishedAt != null) {
            return new TransitionDelivery(State.PUBLISHED, publishedAt, null);
        }
        return new TransitionDelivery(State.PENDING, null, null);
    }
}
