package dev.rollguard.flag.api;

import java.time.Instant;

/** State of the environment-wide kill switch. */
public record GlobalSwitchResponse(boolean killed, String reason, long version, Instant updatedAt, String updatedBy) {}
