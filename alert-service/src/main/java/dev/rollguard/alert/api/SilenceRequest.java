package dev.rollguard.alert.api;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.time.Instant;
import java.util.List;

/**
 * A silence as clients write it, in Alertmanager's terms (its API v2 {@code postableSilence}).
 *
 * @param matchers all must match an alert's labels for it to be silenced (1-16)
 * @param startsAt when it starts; now when omitted
 * @param endsAt when it ends (required, after now and after {@code startsAt})
 * @param createdBy who silences (a name or an e-mail address)
 * @param comment why (a ticket, the maintenance)
 */
public record SilenceRequest(
        @NotNull @Size(min = 1, max = 16) List<@NotNull @Valid MatcherRequest> matchers,
        Instant startsAt,
        @NotNull Instant endsAt,
        @CleanText @NotBlank @Size(max = 200) String createdBy,
        @CleanText(freeText = true) @NotBlank @Size(max = 2000) String comment) {

    /**
     * One matcher: {@code name="value"} by default; {@code isRegex} for a regular expression matching the whole value;
     * {@code isEqual: false} for a negative match.
     */
    public record MatcherRequest(
            @CleanText
                    @NotBlank
                    @Pattern(regexp = "[a-zA-Z_][a-zA-Z0-9_]{0,99}", message = "must be a Prometheus label name")
                    String name,
            @CleanText @NotNull @Size(max = 1000) String value,
            Boolean isRegex,
            Boolean isEqual) {}
}
