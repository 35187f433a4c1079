package dev.rollguard.flag.domain;

/**
 * One step of a rollout plan.
 *
 * @param name shown to operators, e.g. "internal", "5%"
 * @param basisPoints rollout share in hundredths of a percent
 * @param minSoakSeconds minimum time in the stage before it may advance
 */
public record Stage(String name, int basisPoints, long minSoakSeconds) {}
