package dev.rollguard.rollback.client;

import dev.rollguard.rollback.client.FlagServiceApi.FlagBody;
import dev.rollguard.rollback.client.FlagServiceApi.GuardPolicyBody;
import dev.rollguard.rollback.config.GuardConfig;
import dev.rollguard.rollback.domain.FlagState;
import dev.rollguard.rollback.domain.GuardPolicy;
import dev.rollguard.schemas.event.GuardAction;
import io.quarkus.logging.Log;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;

/** Reads the flag-service's flag JSON into the guard's view of a flag. */
@ApplicationScoped
public class FlagBodyMapper {

    private final GuardPolicy defaultPolicy;

    public FlagBodyMapper(GuardConfig config) {
        this.defaultPolicy = new GuardPolicy(
                config.defaultPolicy().action(), false, config.defaultPolicy().cooldownSeconds());
    }

    public FlagState toState(FlagBody body) {
        return new FlagState(
                body.key(),
                body.enabled() == null || body.enabled(),
                Boolean.TRUE.equals(body.killed()),
                Boolean.TRUE.equals(body.paused()),
                body.currentStage(),
                policy(body.key(), body.guardPolicy()),
                body.version() == null ? 0L : body.version(),
                parseInstant(body.updatedAt()),
                body.stageVersion());
    }

    private GuardPolicy policy(String flagKey, GuardPolicyBody body) {
        if (body == null || body.action() == null) {
            return defaultPolicy;
        }
        GuardAction action;
        try {
            action = GuardAction.valueOf(body.action());
        } catch (IllegalArgumentException e) {
            // An action this version does not know must not turn into a guess: record the alert, change nothing.
            Log.warnf("flag %s has unknown guard action %s; treating it as NOTIFY_ONLY", flagKey, body.action());
            action = GuardAction.NOTIFY_ONLY;
        }
        return new GuardPolicy(
                action,
                Boolean.TRUE.equals(body.dryRun()),
                body.cooldownSeconds() == null ? defaultPolicy.cooldownSeconds() : body.cooldownSeconds());
    }

    /** ISO-8601 instant or offset date-time, or epoch milliseconds; null when absent or unreadable. */
    static Instant parseInstant(String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        try {
            return OffsetDateTime.parse(text).toInstant();
        } catch (DateTimeParseException notOffset) {
            try {
                return Instant.parse(text);
            } catch (DateTimeParseException notInstant) {
                try {
                    return Instant.ofEpochMilli(Long.parseLong(text));
                } catch (NumberFormatException notMillis) {
                    return null;
                }
            }
        }
    }
}
