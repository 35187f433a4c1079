package dev.rollguard.alert.domain.inbound;

/**
 * What became of one received alert.
 *
 * @param index its position in the request
 * @param outcome {@code FIRING} or {@code RESOLVED} (a transition stored and published), {@code DUPLICATE} (a copy
 *     of a transition received before), {@code IGNORED} (not one Rollguard acts on), {@code REJECTED} (it cannot be
 *     read: a label, annotation, time or status that does not fit; the other alerts of the request are taken)
 * @param fingerprint the alert's identity, null when ignored before it was computed or rejected
 * @param flagKey the flag it names, null when none
 * @param alertId the id of the transition it is (stored now or before), null when ignored or rejected
 * @param reason why it is a duplicate, ignored or rejected (naming the fields), null for a stored transition
 */
public record InboundOutcome(
        int index, Kind outcome, String fingerprint, String flagKey, String alertId, String reason) {

    public enum Kind {
        FIRING,
        RESOLVED,
        DUPLICATE,
        IGNORED,
        REJECTED
    }
}
