package dev.rollguard.flag.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.rollguard.flag.domain.TokenKind;
import java.time.Instant;
import java.util.UUID;

/** A token; {@code token} (the secret) is present only in the answer to its creation. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TokenResponse(
        UUID id,
        String name,
        TokenKind kind,
        Integer requestsPerSecond,
        Instant createdAt,
        String createdBy,
        Instant revokedAt,
        String token) {}
