package dev.rollguard.alert.mapping;

/**
 * One request to a receiver: the body in the receiver's shape, and which of its endpoints takes it.
 *
 * @param endpoint null for the receiver's main endpoint, {@code change} for PagerDuty change events
 * @param body the request body, written as JSON
 */
public record Notification(String endpoint, Object body) {

    /** PagerDuty's change events endpoint, beside its alert events. */
    public static final String CHANGE_ENDPOINT = "change";
}
