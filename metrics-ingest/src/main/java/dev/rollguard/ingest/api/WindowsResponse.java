package dev.rollguard.ingest.api;

/**
 * The answer of {@code GET /api/internal/windows}: how many windows were merged and the merged aggregate, base64 of its
 * store format.
 */
public record WindowsResponse(int windows, String aggregate) {}
