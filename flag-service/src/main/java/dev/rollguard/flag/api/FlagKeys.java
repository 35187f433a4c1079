package dev.rollguard.flag.api;

/**
 * The flag key rule ({@link dev.rollguard.schemas.keys.FlagKeys}): lower-case letters and digits, separated by single
 * dots or dashes, at most 128 characters.
 */
public final class FlagKeys {

    public static final String PATTERN = dev.rollguard.schemas.keys.FlagKeys.PATTERN;
    public static final String MESSAGE = dev.rollguard.schemas.keys.FlagKeys.MESSAGE;

    private FlagKeys() {}
}
