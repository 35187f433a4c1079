package dev.rollguard.console.live;

/**
 * Something that just arrived from Kafka, for the browsers watching: {@code kind} is window, alert, rollback,
 * rollout (a step of the promoter) or flag (a flag changed);
 * {@code flagKey} is null for events not about one flag.
 */
public record LiveEvent(String kind, String flagKey, Object payload) {}
