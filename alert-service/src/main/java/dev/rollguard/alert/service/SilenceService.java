package dev.rollguard.alert.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rollguard.alert.domain.silence.Matcher;
import dev.rollguard.alert.domain.silence.Silence;
import dev.rollguard.alert.repository.SilenceRepository;
import dev.rollguard.alert.repository.SilenceRepository.SilenceRow;
import dev.rollguard.alert.service.ValidationFailedException.Violation;
import dev.rollguard.http.error.ApiException;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.PatternSyntaxException;

/**
 * Silences: made, listed and ended over the API, read by the {@link NotificationGrouper} at every flush. A silence
 * holds back notifications only; the alerts topic, and so the rollback-service's guard, never sees one. Every
 * silence is kept after it ends and logged when made and when ended early, so it stays on record.
 */
@ApplicationScoped
public class SilenceService {

    /** A new silence, before validation. */
    public record NewSilence(
            List<Matcher> matchers, Instant startsAt, Instant endsAt, String createdBy, String comment) {}

    private static final TypeReference<List<Matcher>> MATCHERS = new TypeReference<>() {};

    private final SilenceRepository repository;
    private final ObjectMapper json;

    public SilenceService(SilenceRepository repository, ObjectMapper json) {
        this.repository = repository;
        this.json = json;
    }

    /**
     * Checks a matcher as written; the violation when it is no valid matcher (a regular expression that does not
     * compile).
     */
    public static Violation check(int index, String name, String value, boolean isRegex) {
        if (isRegex) {
            try {
                java.util.regex.Pattern.compile(value);
            } catch (PatternSyntaxException e) {
                return new Violation(
                        "matchers[" + index + "].value", "is not a valid regular expression: " + e.getDescription());
            }
        }
        return null;
    }

    public Uni<Silence> create(NewSilence request, Instant now) {
        List<Violation> violations = new ArrayList<>();
        Instant startsAt = request.startsAt() == null ? now : request.startsAt();
        if (!request.endsAt().isAfter(now)) {
            violations.add(new Violation("endsAt", "must be in the future"));
        }
        if (!request.endsAt().isAfter(startsAt)) {
            violations.add(new Violation("endsAt", "must be after startsAt"));
        }
        if (request.matchers().stream().allMatch(m -> m.matches(Map.of()))) {
            violations.add(new Violation(
                    "matchers",
                    "at least one matcher must not match the empty string (that would silence everything)"));
        }
        if (!violations.isEmpty()) {
            throw new ValidationFailedException(violations);
        }
        Silence silence = new Silence(
                UUID.randomUUID().toString(),
                List.copyOf(request.matchers()),
                startsAt.truncatedTo(ChronoUnit.MICROS),
                request.endsAt().truncatedTo(ChronoUnit.MICROS),
                request.createdBy(),
                request.comment(),
                now.truncatedTo(ChronoUnit.MICROS),
                null,
                null);
        return repository
                .insert(new SilenceRow(
                        silence.id(),
                        write(silence.matchers()),
                        silence.startsAt(),
                        silence.endsAt(),
                        silence.createdBy(),
                        silence.comment(),
                        silence.createdAt(),
                        null,
                        null))
                .invoke(() -> Log.infof(
                        "silence %s created by %s, %s to %s, matching %s: %s",
                        silence.id(),
                        silence.createdBy(),
                        silence.startsAt(),
                        silence.endsAt(),
                        silence.matchers(),
                        silence.comment()))
                .replaceWith(silence);
    }

    public Uni<List<Silence>> list(int limit) {
        return repository
                .list(limit)
                .map(rows -> rows.stream().map(this::toSilence).toList());
    }

    public Uni<Silence> get(String id) {
        return repository.find(id).map(row -> row.map(this::toSilence)
                .orElseThrow(() -> ApiException.notFound("silence " + id)));
    }

    /** The silences in force now, as the grouper applies them. */
    public Uni<List<Silence>> active(Instant now) {
        return repository
                .active(now)
                .map(rows -> rows.stream().map(this::toSilence).toList());
    }

    /**
     * Ends a silence now in the name of {@code by}, who is kept with it; one that has ended already stays as it is
     * (its record unchanged). 404 when unknown.
     */
    public Uni<Void> expire(String id, Instant now, String by) {
        return get(id).chain(silence -> repository
                        .expire(id, now.truncatedTo(ChronoUnit.MICROS), by)
                        .invoke(ended -> {
                            if (ended) {
                                Log.infof(
                                        "silence %s (by %s, matching %s) ended early by %s",
                                        id, silence.createdBy(), silence.matchers(), by);
                            }
                        }))
                .replaceWithVoid();
    }

    private Silence toSilence(SilenceRow row) {
        try {
            return new Silence(
                    row.id(),
                    json.readValue(row.matchers(), MATCHERS),
                    row.startsAt(),
                    row.endsAt(),
                    row.createdBy(),
                    row.comment(),
                    row.createdAt(),
                    row.expiredAt(),
                    row.expiredBy());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored matchers of silence " + row.id() + " are not readable", e);
        }
    }

    private String write(List<Matcher> matchers) {
        try {
            return json.writeValueAsString(matchers);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize matchers", e);
        }
    }
}
