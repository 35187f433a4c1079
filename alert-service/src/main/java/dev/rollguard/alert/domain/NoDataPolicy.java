package dev.rollguard.alert.domain;

/**
 * What a rule does when a window has no usable figure (the metric is null, or fewer events than the minimum sample
 * size) or when its scope stops sending windows.
 */
public enum NoDataPolicy {
    /** Nothing changes: a pending breach stays pending, a firing alert keeps firing. */
    KEEP_STATE,
    /** No data counts as healthy: firing alerts resolve after {@code keep_firing_for}. */
    RESOLVE,
    /** No data counts as a breach of the rule's lowest level; higher levels keep their state. */
    ALERT
}
