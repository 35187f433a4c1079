package dev.rollguard.rollback.domain;

import dev.rollguard.schemas.event.GuardAction;

/** A flag's guard policy: what to do when a critical alert names it. */
public record GuardPolicy(GuardAction action, boolean dryRun, long cooldownSeconds) {}
