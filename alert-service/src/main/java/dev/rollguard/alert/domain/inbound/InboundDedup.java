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
 * occurrence's start is a new one; a resolved copy that started before the firing occurrence and ended before it
 * started is a late copy of an earlier occurrence's resolution, and resolves nothing. A firing transition carries its occurrence's start, so its alert id, and the
 * rollback-service's idempotency key (fingerprint and start), are the same however often it is received. A firing
 * copy valid ahead (an endsAt to come) after the alert expired here is a new occurrence from the time it is received:
 * the sender's copies paused past their endsAt, and it fires still.
 */
public final class InboundDedup {

    private InboundDedup() {}

    /**
     * The last transition stored for a fingerprint; {@code expired}: a resolution the expiry sweep made (its sender's
     * endsAt passed without a new copy), not one the sender sent.
     */
    public record Latest(AlertStatus status, Instant startsAt, boolean expired) {

        public Latest(AlertStatus status, Instant startsAt) {
            this(status, startsAt, false);
        }
    }

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
            if (latest != null && latest.expired() && alert.endsAt() != null) {
                // The sender fires it again, valid ahead, after it expired here (its copies paused past their endsAt:
                // a restart, a network break): a new occurrence from now, with an id and a guard action of its own.
                return Decision.store(AlertStatus.FIRING, now, null);
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
        if (alert.endsAt() != null
                && !alert.endsAt().isAfter(latest.startsAt())
                && alert.startsAt() != null
                && alert.startsAt().isBefore(latest.startsAt())) {
            // A late copy of an earlier occurrence's resolution (the other member of an HA pair, a retried delivery):
            // it ended before the firing one started, so it must not end it.
            return Decision.skip("resolution of an earlier occurrence (started " + alert.startsAt() + ", ended "
                    + alert.endsAt() + "): firing again since " + latest.startsAt());
        }
        Instant endsAt = alert.endsAt() != null ? alert.endsAt() : now;
        // A sender's clock a little behind ours (a start taken when received): the resolution is still this one's.
        if (endsAt.isBefore(latest.startsAt())) {
            endsAt = latest.startsAt();
        }
        return Decision.store(AlertStatus.RESOLVED, latest.startsAt(), endsAt);
    }
}
