package dev.rollguard.alert.domain;

import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.Platform;
import dev.rollguard.schemas.event.ScopeType;
import dev.rollguard.schemas.event.WindowKind;
import java.util.EnumSet;
import java.util.Set;

/**
 * Which windows a rule watches. Every non-null criterion must match; {@code types} must contain the window's scope
 * type.
 */
public record ScopeSelector(
        Set<ScopeType> types, String flagKey, Cohort cohort, String table, Platform platform, WindowKind windowKind) {

    public ScopeSelector {
        types = types == null || types.isEmpty() ? EnumSet.allOf(ScopeType.class) : EnumSet.copyOf(types);
    }

    public boolean matches(
            ScopeType type,
            String flag,
            Cohort windowCohort,
            String windowTable,
            Platform windowPlatform,
            WindowKind kind) {
        return types.contains(type)
                && (flagKey == null || flagKey.equals(flag))
                && (cohort == null || cohort == windowCohort)
                && (table == null || table.equals(windowTable))
                && (platform == null || platform == windowPlatform)
                && (windowKind == null || windowKind == kind);
    }
}
