package dev.rollguard.flag.rest;

import com.fasterxml.jackson.annotation.JsonRawValue;
import java.time.Instant;

/** One audit row; before and after are the flag JSON around the change. */
public record AuditResponse(
        long id,
        String flagKey,
        String action,
        String actor,
        String tokenName,
        String reason,
        @JsonRawValue String before,
        @JsonRawValue String after,
        String idempotencyKey,
        Instant at) {}
