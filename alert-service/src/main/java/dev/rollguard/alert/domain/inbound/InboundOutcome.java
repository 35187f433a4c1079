package dev.rollguard.alert.domain.inbound;

/**
 * What became of one received alert.
 *
 * @param index its position in the request
 * @param outcome {@code FIRING} or {@code RESOLVED} (a transition stored and published), {@code DUPLICATE} (a copy
 *     of a transition received before), {@code IGNORED} (not one Rollguard acts on)
 * @param fingerprint the alert's identity, null when ignored before it was computed
 * @param flagKey the flag it names, null when none
 * @param alertId the id of the transition it is (stored now or before), null when ignored
 * @param reason why it is a duplicate or ignored, null for a stored transition
 */
public record InboundOutcome(
        int index, Kind outcome, String fingerprint, String flagKey, String alertId, String reason) {

    public enum Kind {
        FIRING,
        RESOLVED,
        DUPLICATE,
        IGNORED
    }
}
