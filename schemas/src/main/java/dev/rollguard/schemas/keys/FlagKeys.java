package dev.rollguard.schemas.keys;

import java.util.regex.Pattern;

/**
 * The flag key rule, shared by the flag-service (which refuses to create a flag with another key) and metrics-ingest
 * (which refuses an exposure naming a key no flag can have): lower-case letters and digits, separated by single dots
 * or dashes. A key never holds the {@code :} and {@code |} that separate the parts of scope and state keys.
 */
public final class FlagKeys {

    public static final String PATTERN = "^[a-z0-9]+([.-][a-z0-9]+)*$";
    public static final String MESSAGE =
            "must be lower-case letters and digits separated by single dots or dashes, e.g. replication.table-entries";

    private static final Pattern COMPILED = Pattern.compile(PATTERN);

    private FlagKeys() {}

    /**
     * Whether {@code key} is a key a flag can have (its length is checked apart): what {@link #PATTERN} matches,
     * checked by a scan of its characters instead of the regular expression, since metrics-ingest checks every
     * exposure of every event with it (a matcher an exposure was 2 % of its stream threads' time).
     */
    public static boolean isFlagKey(String key) {
        if (key == null || key.isEmpty()) {
            return false;
        }
        boolean afterSeparator = true;
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
                afterSeparator = false;
            } else if ((c == '.' || c == '-') && !afterSeparator) {
                afterSeparator = true;
            } else {
                return false;
            }
        }
        return !afterSeparator;
    }

    /** Whether {@code key} matches {@link #PATTERN} by the regular expression itself (tests hold the scan to it). */
    static boolean matchesPattern(String key) {
        return key != null && COMPILED.matcher(key).matches();
    }
}
