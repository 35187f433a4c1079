package dev.rollguard.console.rest;

import dev.rollguard.console.client.ApiResult;

/**
 * What an operator is about to do, said in full before it is done: the title, the effect on clients, where the
 * confirmed form goes, whether a reason is required, for the global switch which way it is turned, and for a promote
 * whether the soak is skipped (null where the choice is not offered).
 */
public record Confirmation(
        String title,
        String effect,
        String formAction,
        String flagKey,
        Integer stage,
        boolean danger,
        boolean reasonRequired,
        Boolean globalOn,
        Boolean skipSoak) {

    /** The title and effect may carry a key from the console's URL: shown on one line, without control characters. */
    public Confirmation {
        title = ApiResult.oneLine(title);
        effect = ApiResult.oneLine(effect);
    }

    public Confirmation(
            String title,
            String effect,
            String formAction,
            String flagKey,
            Integer stage,
            boolean danger,
            boolean reasonRequired,
            Boolean globalOn) {
        this(title, effect, formAction, flagKey, stage, danger, reasonRequired, globalOn, null);
    }

    /**
     * Whether the flag-service refuses {@code action} without a reason, so the page does too: kill and unkill (a
     * {@code @NotBlank} reason), resume, abort and retry (422 {@code REASON_REQUIRED}). Advance, revert, set, promote
     * and pause take a reason when one is given. The global switch is decided by its direction (on needs one).
     */
    public static boolean reasonRequired(String action) {
        return switch (action) {
            case "kill", "unkill", "resume", "abort", "retry" -> true;
            default -> false;
        };
    }
}
