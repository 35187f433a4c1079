package dev.rollguard.alert.rest;

import dev.rollguard.schemas.event.Severity;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.util.Set;

/**
 * A webhook subscription as clients write it; every text is {@link CleanText}, each length at most its column's.
 *
 * @param url absolute http(s) URL the alerts are POSTed to
 * @param secret HMAC key of the signature header; generated when omitted on create, kept when omitted on update
 * @param severities severities to deliver; empty or omitted: all
 */
public record WebhookRequest(
        @CleanText @NotBlank @Size(max = 200) String name,
        @CleanText
                @NotBlank
                @Size(max = 2000)
                @Pattern(regexp = "https?://\\S+", message = "must be an absolute http(s) URL")
                String url,
        @CleanText @Size(min = 16, max = 200) String secret,
        Set<Severity> severities,
        Boolean enabled) {}
