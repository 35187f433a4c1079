package dev.rollguard.ingest.domain;

/** One failed event as listed under "recent errors" in the health report. */
public record RecentError(long time, String table, String code, String message) {}
