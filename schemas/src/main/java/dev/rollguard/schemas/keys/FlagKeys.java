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

    /** Whether {@code key} is a key a flag can have (its length is checked apart). */
    public static boolean isFlagKey(String key) {
        return key != null && COMPILED.matcher(key).matches();
    }
}
