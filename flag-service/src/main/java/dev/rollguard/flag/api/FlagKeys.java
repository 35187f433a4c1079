package dev.rollguard.flag.api;

/** The flag key rule: lower-case letters and digits, separated by single dots or dashes, at most 128 characters. */
public final class FlagKeys {

    public static final String PATTERN = "^[a-z0-9]+([.-][a-z0-9]+)*$";
    public static final String MESSAGE =
            "must be lower-case letters and digits separated by single dots or dashes, e.g. replication.table-entries";

    private FlagKeys() {}
}
