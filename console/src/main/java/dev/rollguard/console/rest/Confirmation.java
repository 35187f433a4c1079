package dev.rollguard.console.rest;

/**
 * What an operator is about to do, said in full before it is done: the title, the effect on clients, where the
 * confirmed form goes, whether a reason is required, and for the global switch which way it is turned.
 */
public record Confirmation(
        String title,
        String effect,
        String formAction,
        String flagKey,
        Integer stage,
        boolean danger,
        boolean reasonRequired,
        Boolean globalOn) {}
