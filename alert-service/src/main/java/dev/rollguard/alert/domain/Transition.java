package dev.rollguard.alert.domain;

import dev.rollguard.schemas.event.AlertStatus;
import dev.rollguard.schemas.event.Severity;
import java.time.Instant;

/**
 * An announced change of one alert: subscribers are told it fires or resolved.
 *
 * @param level the level's state that the alert describes (for a resolution: as it was while firing)
 * @param observation the observation that completed the change
 * @param startsAt event time the alert started firing
 * @param endsAt event time it resolved, for RESOLVED
 * @param reason why, in words, for annotations and logs
 */
public record Transition(
        Severity severity,
        AlertStatus status,
        LevelState level,
        Observation observation,
        Instant startsAt,
        Instant endsAt,
        String reason) {}
