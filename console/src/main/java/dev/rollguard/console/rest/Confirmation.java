package dev.rollguard.console.rest;

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
}
