package dev.rollguard.alert.api;

import dev.rollguard.alert.domain.silence.Matcher;
import dev.rollguard.alert.domain.silence.Silence;
import java.time.Instant;
import java.util.List;

/**
 * A silence as the API answers it, with its state now: PENDING, ACTIVE or EXPIRED; {@code expiredAt} and
 * {@code expiredBy} say when and by whom it was ended early (null otherwise).
 */
public record SilenceResponse(
        String id,
        List<Matcher> matchers,
        Instant startsAt,
        Instant endsAt,
        String createdBy,
        String comment,
        Instant createdAt,
        Instant expiredAt,
        String expiredBy,
        Silence.State state) {

    public static SilenceResponse of(Silence silence, Instant now) {
        return new SilenceResponse(
                silence.id(),
                silence.matchers(),
                silence.startsAt(),
                silence.endsAt(),
                silence.createdBy(),
                silence.comment(),
                silence.createdAt(),
                silence.expiredAt(),
                silence.expiredBy(),
                silence.state(now));
    }
}
