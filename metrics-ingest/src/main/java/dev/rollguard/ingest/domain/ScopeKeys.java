package dev.rollguard.ingest.domain;

import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.Platform;
import dev.rollguard.schemas.event.ScopeType;
import dev.rollguard.schemas.keys.FlagKeys;
import java.util.Arrays;
import java.util.Locale;

/**
 * Scope keys of docs/contracts.md: {@code flag:<key>:treatment|control}, {@code flag:<key>:treatment:<variant>} (each
 * treated variant of a flag with weighted variants), {@code table:<name>}, {@code platform:<NAME>}, {@code global}.
 * Windows of all the cohorts of a flag are published under the record key {@code flag:<key>} so that they land on
 * one partition of metrics.windows. A flag key never holds a colon; a variant name may.
 */
public final class ScopeKeys {

    public static final String GLOBAL = "global";
    public static final String FLAG_PREFIX = "flag:";
    public static final String TABLE_PREFIX = "table:";
    public static final String PLATFORM_PREFIX = "platform:";

    /**
     * {@code :<cohort>} of each cohort, by ordinal: built once, since every event builds the scope key of each of its
     * flag cohorts.
     */
    private static final String[] COHORT_PARTS = Arrays.stream(Cohort.values())
            .map(cohort -> ":" + cohort.name().toLowerCase(Locale.ROOT))
            .toArray(String[]::new);

    private ScopeKeys() {}

    public static String flag(String flagKey, Cohort cohort) {
        return FLAG_PREFIX + flagKey + COHORT_PARTS[cohort.ordinal()];
    }

    /** A flag cohort scope key; {@code variant} names the treated variant of a weighted flag, else null. */
    public static String flag(String flagKey, Cohort cohort, String variant) {
        return variant == null
                ? flag(flagKey, cohort)
                : FLAG_PREFIX + flagKey + COHORT_PARTS[cohort.ordinal()] + ":" + variant;
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
        return scopeKey.substring(FLAG_PREFIX.length(), cohortStart(scopeKey) - 1);
    }

    /**
     * Whether a scope key can be published: a flag cohort scope key names a flag key a flag can have ({@link
     * FlagKeys}) and a cohort. Exposures naming other keys are refused at both doors; this keeps a window that an
     * earlier version aggregated under such a key (a {@code :} in it splits the key elsewhere) from failing its task
     * each time it is published.
     */
    public static boolean publishable(String scopeKey) {
        if (type(scopeKey) != ScopeType.FLAG_COHORT) {
            return true;
        }
        int start = cohortStart(scopeKey);
        if (start <= FLAG_PREFIX.length() || !FlagKeys.isFlagKey(flagKey(scopeKey))) {
            return false;
        }
        int end = scopeKey.indexOf(':', start);
        String cohortPart = scopeKey.substring(start - 1, end < 0 ? scopeKey.length() : end);
        return Arrays.asList(COHORT_PARTS).contains(cohortPart);
    }

    /** The cohort of a flag cohort scope key. */
    public static Cohort cohort(String scopeKey) {
        int start = cohortStart(scopeKey);
        int end = scopeKey.indexOf(':', start);
        return Cohort.valueOf(
                scopeKey.substring(start, end < 0 ? scopeKey.length() : end).toUpperCase(Locale.ROOT));
    }

    /** The treated variant of a flag cohort scope key, or null when it names none. */
    public static String variant(String scopeKey) {
        int end = scopeKey.indexOf(':', cohortStart(scopeKey));
        return end < 0 ? null : scopeKey.substring(end + 1);
    }

    private static int cohortStart(String scopeKey) {
        return scopeKey.indexOf(':', FLAG_PREFIX.length()) + 1;
    }

    /** The record key on metrics.windows: {@code flag:<key>} for both cohorts of a flag, else the scope key. */
    public static String recordKey(String scopeKey) {
        return type(scopeKey) == ScopeType.FLAG_COHORT ? FLAG_PREFIX + flagKey(scopeKey) : scopeKey;
    }
}
