package dev.rollguard.ingest.domain;

import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.Platform;
import dev.rollguard.schemas.event.ScopeType;
import java.util.Locale;

/**
 * Scope keys of docs/contracts.md: {@code flag:<key>:treatment|control}, {@code table:<name>}, {@code
 * platform:<NAME>}, {@code global}. Windows of a flag's two cohorts are published under the record key {@code
 * flag:<key>} so that both land on one partition of metrics.windows.
 */
public final class ScopeKeys {

    public static final String GLOBAL = "global";
    public static final String FLAG_PREFIX = "flag:";
    public static final String TABLE_PREFIX = "table:";
    public static final String PLATFORM_PREFIX = "platform:";

    private ScopeKeys() {}

    public static String flag(String flagKey, Cohort cohort) {
        return FLAG_PREFIX + flagKey + ":" + cohort.name().toLowerCase(Locale.ROOT);
    }

    public static String table(String table) {
        return TABLE_PREFIX + table;
    }

    public static String platform(Platform platform) {
        return PLATFORM_PREFIX + platform.name();
    }

    /** What a scope key is about. */
    public static ScopeType type(String scopeKey) {
        if (scopeKey.startsWith(FLAG_PREFIX)) {
            return ScopeType.FLAG_COHORT;
        }
        if (scopeKey.startsWith(TABLE_PREFIX)) {
            return ScopeType.TABLE;
        }
        if (scopeKey.startsWith(PLATFORM_PREFIX)) {
            return ScopeType.PLATFORM;
        }
        return ScopeType.GLOBAL;
    }

    /** The flag key of a flag cohort scope key. */
    public static String flagKey(String scopeKey) {
        return scopeKey.substring(FLAG_PREFIX.length(), scopeKey.lastIndexOf(':'));
    }

    /** The cohort of a flag cohort scope key. */
    public static Cohort cohort(String scopeKey) {
        return Cohort.valueOf(scopeKey.substring(scopeKey.lastIndexOf(':') + 1).toUpperCase(Locale.ROOT));
    }

    /** The record key on metrics.windows: {@code flag:<key>} for both cohorts of a flag, else the scope key. */
    public static String recordKey(String scopeKey) {
        return type(scopeKey) == ScopeType.FLAG_COHORT ? FLAG_PREFIX + flagKey(scopeKey) : scopeKey;
    }
}
