package dev.rollguard.alert.domain;

import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.Platform;
import dev.rollguard.schemas.event.ScopeType;

/** What a window (and an alert on it) is about; {@code key} is the window's scope key. */
public record Scope(ScopeType type, String key, String flagKey, Cohort cohort, String table, Platform platform) {}
