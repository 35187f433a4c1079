package dev.rollguard.flag.api;

import dev.rollguard.flag.domain.TokenKind;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Positive;
import jakarta.validation.constraints.Size;

/** A token to create; {@code requestsPerSecond} overrides the default evaluation rate for it. */
public record TokenRequest(
        @NotNull
                @CleanText
                @Size(max = 200)
                @Pattern(
                        regexp = "^[a-z0-9][a-z0-9._-]*$",
                        message = "must be lower-case letters, digits, dots, dashes, underscores")
                String name,
        @NotNull TokenKind kind,
        @Positive Integer requestsPerSecond) {}
