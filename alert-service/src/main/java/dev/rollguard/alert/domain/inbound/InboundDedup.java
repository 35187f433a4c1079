package dev.rollguard.alert.domain.inbound;

import dev.rollguard.schemas.event.AlertStatus;
import java.time.Instant;
import java.util.Optional;

/**
 * Decides whether an external alert is a transition to store, given the last one stored for its fingerprint.
 *
 * <p>Senders repeat themselves: Alertmanager re-sends a firing group every {@code repeat_interval}, with every change
 * of the group, from each member of an HA pair, and again after a failed delivery; a resolved alert may be followed by
 * a late copy of its firing notification. Only the first firing and the first resolution of one occurrence are
 * transitions. An occurrence is identified by its start: while an alert fires, every firing copy is the same
 * occurrence (whatever start it claims); once resolved, only a firing copy that started after the resolved
 * occurrence's start is a new one. A firing transition carries its occurrence's start, so its alert id, and the
 * rollback-service's idempotency key (fingerprint and start), are the same however often it is received.
 */
public final class InboundDedup {

    private InboundDedup() {}

    /** The last transition stored for a fingerprint. */
    public record Latest(AlertStatus status, Instant startsAt) {}

    /** A transition to store. */
    public record Transition(AlertStatus status, Instant startsAt, Instant endsAt) {}

    /** What to do with one received alert: a transition to store, or why there is none. */
    public record Decision(Optional<Transition> transition, String reason) {

        static Decision store(AlertStatus status, Instant startsAt, Instant endsAt) {
            return new Decision(Optional.of(new Transition(status, startsAt, endsAt)), null);
        }

        static Decision skip(String reason) {
            return new Decision(Optional.empty(), reason);
        }
    }

    /**
     * @param alert the received alert
     * @param latest the last transition stored for its fingerprint, null when none
     * @param now the receiving time, the start of a firing alert that gives none and the end of a resolved one
     */
    public static Decision decide(ExternalAlert alert, Latest latest, Instant now) {
        if (alert.firing()) {
            if (latest != null && latest.status() == AlertStatus.FIRING) {
                return Decision.skip("already firing since " + latest.startsAt());
            }
            if (latest != null && alert.startsAt() != null && !alert.startsAt().isAfter(latest.startsAt())) {
                return Decision.skip("this occurrence (started " + alert.startsAt() + ") has resolved already");
            }
            Instant startsAt = alert.startsAt() != null ? alert.startsAt() : now;
            return Decision.store(AlertStatus.FIRING, startsAt, null);
        }
        if (latest == null || latest.status() != AlertStatus.FIRING) {
            return Decision.skip("not firing");
        }
        Instant endsAt = alert.endsAt() != null ? alert.endsAt() : now;
        if (endsAt.isBefore(latest.startsAt())) {
            endsAt = latest.startsAt();
        }
        return Decision.store(AlertStatus.RESOLVED, latest.startsAt(), endsAt);
    }
}
