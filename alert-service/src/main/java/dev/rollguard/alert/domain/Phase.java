package dev.rollguard.alert.domain;

/** Where one level of a rule stands for one scope. */
public enum Phase {
    /** Healthy (or never seen breaching). */
    INACTIVE,
    /** Breaching, for less than the level's {@code for} duration. */
    PENDING,
    /** Breached for at least {@code for}; stays firing until healthy for {@code keep_firing_for}. */
    FIRING
}
