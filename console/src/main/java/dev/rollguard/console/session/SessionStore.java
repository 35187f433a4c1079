package dev.rollguard.console.session;

import dev.rollguard.console.config.ConsoleConfig;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Sessions held in memory: a restart of the console signs everyone out, which is the safe direction for a tool that
 * holds admin tokens. Ids and CSRF tokens are 256 random bits.
 */
@ApplicationScoped
public class SessionStore {

    public static final String COOKIE = "rollguard_session";

    private final SecureRandom random = new SecureRandom();
    private final Map<String, Entry> sessions = new ConcurrentHashMap<>();
    private final ConsoleConfig config;
    private final Clock clock = Clock.systemUTC();

    public SessionStore(ConsoleConfig config) {
        this.config = config;
    }

    private record Entry(OperatorSession session, Instant lastSeen) {}

    public OperatorSession open(String token, String tokenKind, boolean canWrite) {
        OperatorSession session =
                new OperatorSession(randomId(), token, tokenKind, canWrite, randomId(), clock.instant());
        sessions.put(session.id(), new Entry(session, clock.instant()));
        return session;
    }

    public Optional<OperatorSession> find(String id) {
        if (id == null) {
            return Optional.empty();
        }
        Entry entry = sessions.get(id);
        Instant now = clock.instant();
        if (entry == null
                || entry.lastSeen().plus(config.session().idleTimeout()).isBefore(now)) {
            sessions.remove(id);
            return Optional.empty();
        }
        sessions.put(id, new Entry(entry.session(), now));
        return Optional.of(entry.session());
    }

    public void close(String id) {
        if (id != null) {
            sessions.remove(id);
        }
    }

    /** Constant-time comparison of a submitted CSRF token with the session's. */
    public static boolean csrfMatches(OperatorSession session, String submitted) {
        return submitted != null
                && MessageDigest.isEqual(
                        session.csrf().getBytes(java.nio.charset.StandardCharsets.UTF_8),
                        submitted.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    @Scheduled(every = "5m", delayed = "5m")
    void forgetIdle() {
        Instant oldest = clock.instant().minus(config.session().idleTimeout());
        sessions.values().removeIf(e -> e.lastSeen().isBefore(oldest));
    }

    private String randomId() {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
