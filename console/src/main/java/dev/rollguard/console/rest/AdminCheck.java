package dev.rollguard.console.rest;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.rollguard.console.client.ApiResult;
import dev.rollguard.console.client.ServiceClient;
import dev.rollguard.console.client.ServiceClient.Service;
import dev.rollguard.console.config.ConsoleConfig;
import dev.rollguard.console.session.OperatorSession;
import dev.rollguard.console.session.SessionStore;
import io.quarkus.logging.Log;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Whether a token may change things: only admin tokens may read the flag-service's audit log, so its answer to
 * {@value #PROBE} says so. The audit log (a JSON list) is admin, a 403 is read-only, a 401 is a token the flag-service
 * no longer knows; any other answer (none within the page deadline, a 5xx, a dropped connection, a 2xx that is not the
 * audit log) decides nothing: the session stays read-only, says why on every page, and is asked again after
 * {@code console.session.admin-recheck}.
 *
 * <p>The check after sign-in runs in the background and never holds up a page: a page load whose session waits for its
 * admin rights starts it once the back-off has passed, and a later page load applies its answer. Each replica keeps the
 * check of every such session in a bounded map keyed by a hash of the token (never the token): page loads side by side
 * (several tabs, reloads) share one check, and a replica asks about a token at most once per back-off, also when the
 * browser never received the cookie of the last answer.
 */
@ApplicationScoped
public class AdminCheck {

    /** What the flag-service lets only admin tokens read. */
    public static final String PROBE = "/api/audit?limit=1";

    /** The most sessions whose check a replica remembers; the least recently written are forgotten first. */
    static final int MAX_CHECKS = 10_000;

    /** What an answer to {@link #PROBE} says about the token. */
    public enum Rights {
        ADMIN,
        READ_ONLY,
        REVOKED,
        UNDECIDED
    }

    /** A check of one token: its answer (done or not), and the earliest time the next one may start. */
    private record Check(CompletableFuture<ApiResult> answer, Instant nextAllowed) {}

    private final ServiceClient services;
    private final SessionStore sessions;
    private final Duration backOff;
    private final Cache<String, Check> checks;

    @Inject
    public AdminCheck(ServiceClient services, SessionStore sessions, ConsoleConfig config) {
        this.services = services;
        this.sessions = sessions;
        this.backOff = config.session().adminRecheck();
        // An answer stays for the next page load, however long the operator reads the page before it: as long as the
        // session may stay idle (and at least a minute past the back-off). A forgotten one is asked again.
        Duration kept = backOff.plus(Duration.ofMinutes(1));
        Duration idle = config.session().idleTimeout();
        this.checks = Caffeine.newBuilder()
                .maximumSize(MAX_CHECKS)
                .expireAfterWrite(idle.compareTo(kept) > 0 ? idle : kept)
                .build();
    }

    public static Rights rights(ApiResult probe) {
        if (probe.ok()) {
            // A 2xx that is not the audit log (a proxy's page, an empty answer) says nothing about the token.
            return probe.body().isArray() ? Rights.ADMIN : Rights.UNDECIDED;
        }
        return switch (probe.status()) {
            case 401 -> Rights.REVOKED;
            case 403 -> Rights.READ_ONLY;
            default -> Rights.UNDECIDED;
        };
    }

    /** Why an answer decided nothing, in words for the page: no answer in time, no connection, or the status. */
    public static String why(ApiResult probe) {
        if (probe.consoleAccount()) {
            // The flag-service did not answer in time, or could not be reached.
            return probe.text();
        }
        if (probe.ok()) {
            return "the flag-service answered HTTP " + probe.status() + " without the audit log";
        }
        String said = probe.body().hasNonNull("message") ? ": " + probe.message() + " (" + probe.code() + ")" : "";
        return "the flag-service answered HTTP " + probe.status() + said;
    }

    /**
     * The session as this replica knows it now: unchanged while its admin rights need no check, its back-off has not
     * passed or its check has not answered; upgraded to admin, or read-only without a notice (a 403), once a check
     * answered so; read-only with the new reason and back-off after a check that decided nothing. Empty when the
     * flag-service no longer knows the token (a 401): the session ends. Starts a check when one is due; never waits.
     */
    public Optional<OperatorSession> recheck(OperatorSession session) {
        if (!session.unconfirmed()) {
            return Optional.of(session);
        }
        Instant now = Instant.now();
        Check check = checks.asMap().compute(tokenHash(session.token()), (hash, known) -> {
            if (known != null && !known.answer().isDone()) {
                // Asked already, waiting for the answer (which comes by the page deadline at the latest): this page
                // load shares it.
                return known;
            }
            if (known != null && unapplied(known, session)) {
                // Answered after what the session knows, and not yet applied to it: this page load takes that answer,
                // also after the back-off has passed.
                return known;
            }
            // No check, one older than what the session knows (from another sign-in, another replica), or one whose
            // undecided answer the session carries already: asked again once the session's own back-off has passed.
            return sessions.recheckDue(session) ? start(session.token(), now) : known;
        });
        if (check == null || !check.answer().isDone() || !answers(check, session)) {
            return Optional.of(session);
        }
        ApiResult probe = check.answer().join();
        return switch (rights(probe)) {
            case ADMIN -> Optional.of(sessions.confirmed(session, true));
            case READ_ONLY -> Optional.of(sessions.confirmed(session, false));
            case REVOKED -> Optional.empty();
            case UNDECIDED -> Optional.of(sessions.stillUnconfirmed(session, why(probe), check.nextAllowed()));
        };
    }

    /**
     * Whether {@code check} came after what {@code session} knows: a session's back-off ends where the check that
     * told it ends its own, and a session signed in after a check started has a later one.
     */
    private static boolean answers(Check check, OperatorSession session) {
        return !check.nextAllowed().isBefore(session.recheckAt());
    }

    /** Whether {@code check} came after what {@code session} knows and the session does not carry its answer yet. */
    private static boolean unapplied(Check check, OperatorSession session) {
        return check.nextAllowed().isAfter(session.recheckAt());
    }

    private Check start(String token, Instant now) {
        CompletableFuture<ApiResult> answer = services.reads()
                .get(Service.FLAG, PROBE, token)
                .answer()
                .whenComplete((probe, failed) -> {
                    if (probe == null) {
                        return;
                    }
                    switch (rights(probe)) {
                        case ADMIN -> Log.info("an operator's admin rights were confirmed after sign-in");
                        case REVOKED ->
                            Log.info("an operator's token was refused by the flag-service: the session ends");
                        case UNDECIDED ->
                            Log.warnf(
                                    "the flag-service did not confirm a token's admin rights: %s",
                                    SessionStore.oneLine(why(probe)));
                        case READ_ONLY -> {}
                    }
                });
        // Millisecond precision, as the cookie keeps it: a session that carries this time already is not resealed.
        return new Check(answer, now.plus(backOff).truncatedTo(ChronoUnit.MILLIS));
    }

    private static String tokenHash(String token) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }
}
