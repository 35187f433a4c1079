package dev.rollguard.alert.domain;

import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.Platform;
import dev.rollguard.schemas.event.ScopeType;

/**
 * What a window (and an alert on it) is about; {@code key} is the window's scope key.
 *
 * @param variant the treated variant of a flag with weighted variants (each judged against the control on its own);
 *     null for every other scope
 */
public record Scope(
        ScopeType type, String key, String flagKey, Cohort cohort, String table, Platform platform, String variant) {

    /** A scope that names no variant. */
    public Scope(ScopeType type, String key, String flagKey, Cohort cohort, String table, Platform platform) {
        this(type, key, flagKey, cohort, table, platform, null);
    }
}
