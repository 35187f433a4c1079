package dev.rollguard.alert.domain.silence;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A silence: between {@code startsAt} and {@code endsAt}, notifications of the alerts whose labels match every
 * matcher are held back. It never stops the guard: silenced alerts are still published on the {@code alerts} topic
 * and acted on by the rollback-service.
 *
 * @param expiredAt when it was ended early over the API, else null
 * @param expiredBy who ended it early, else null
 */
public record Silence(
        String id,
        List<Matcher> matchers,
        Instant startsAt,
        Instant endsAt,
        String createdBy,
        String comment,
        Instant createdAt,
        Instant expiredAt,
        String expiredBy) {

    /** Alertmanager's states: pending (not started), active, expired. */
    public enum State {
        PENDING,
        ACTIVE,
        EXPIRED
    }

    public State state(Instant now) {
        if (!now.isBefore(endsAt)) {
            return State.EXPIRED;
        }
        return now.isBefore(startsAt) ? State.PENDING : State.ACTIVE;
    }

    /** Whether it holds back the notification of an alert with these labels at {@code now}. */
    public boolean silences(Map<String, String> labels, Instant now) {
        return state(now) == State.ACTIVE && matchers.stream().allMatch(m -> m.matches(labels));
    }

    /** Whether any of the silences holds back an alert with these labels at {@code now}. */
    public static boolean anySilences(List<Silence> silences, Map<String, String> labels, Instant now) {
        return silences.stream().anyMatch(s -> s.silences(labels, now));
    }
}
