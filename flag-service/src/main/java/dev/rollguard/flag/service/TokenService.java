package dev.rollguard.flag.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rollguard.flag.api.TokenRequest;
import dev.rollguard.flag.api.TokenResponse;
import dev.rollguard.flag.config.FlagServiceConfig;
import dev.rollguard.flag.domain.ApiToken;
import dev.rollguard.flag.domain.AuditEntry;
import dev.rollguard.flag.domain.Caller;
import dev.rollguard.flag.domain.TokenKind;
import dev.rollguard.flag.repository.AuditRepository;
import dev.rollguard.flag.repository.TokenRepository;
import dev.rollguard.http.error.ApiException;
import dev.rollguard.http.error.SqlStates;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * API tokens: stored as SHA-256 hashes, checked against an in-memory table so authentication costs no database
 * round trip (and keeps working while the database is down).
 *
 * <p>A plain SHA-256 is enough because tokens are 256-bit random values, not passwords: there is nothing to guess
 * from a hash, and a slow password hash would cost every evaluation request dearly.
 */
@ApplicationScoped
public class TokenService {

    public static final String BOOTSTRAP_ADMIN = "bootstrap-admin";
    public static final String BOOTSTRAP_SERVICE = "bootstrap-service";
    public static final String BOOTSTRAP_CLIENT = "bootstrap-client";

    private static final SecureRandom RANDOM = new SecureRandom();

    private final TokenRepository tokens;
    private final AuditRepository audit;
    private final FlagServiceConfig config;
    private final ObjectMapper json;
    private volatile Table table = new Table(Map.of(), Map.of());
    /** Reloads begun, and the number of the one whose table is installed. */
    private final AtomicLong readsBegun = new AtomicLong();

    private long installedReading;

    /**
     * Signals each installed table to the open streams. The reloads of two callers may finish at once: each
     * subscriber's emitter takes their signals one at a time.
     */
    private final Fanout<Boolean> installs = new Fanout<>();

    private final LongAdder signals = new LongAdder();

    /** Told the ids of every table installed, so what they keep per token follows the table. */
    private final List<Consumer<Set<UUID>>> installListeners = new CopyOnWriteArrayList<>();

    /** The shortest time between two reloads {@link #catchUp()} starts. */
    static final Duration CATCH_UP_INTERVAL = Duration.ofSeconds(1);

    /**
     * The longest a caller of {@link #catchUp()} waits for the reload's read: a hung query must not hold it. The read
     * itself goes on, and no other starts beside it.
     */
    static final Duration CATCH_UP_TIMEOUT = Duration.ofSeconds(5);

    private final CoalescedReload catchUp =
            new CoalescedReload(this::reload, CATCH_UP_INTERVAL, CATCH_UP_TIMEOUT, System::nanoTime);

    /** The active tokens by hash (what a request presents) and by id (what a stream token names). */
    private record Table(Map<String, Caller> byHash, Map<UUID, Caller> byId) {}

    public TokenService(TokenRepository tokens, AuditRepository audit, FlagServiceConfig config, ObjectMapper json) {
        this.tokens = tokens;
        this.audit = audit;
        this.config = config;
        this.json = json;
    }

    /** The caller holding {@code token}, if it is a known, unrevoked token. */
    public Optional<Caller> authenticate(String token) {
        if (token == null || token.isBlank()) {
            return Optional.empty();
        }
        return Optional.ofNullable(table.byHash().get(hash(token.strip())));
    }

    /** The caller holding the token with this id, if it is still unrevoked (stream tokens name their token so). */
    public Optional<Caller> active(UUID tokenId) {
        return Optional.ofNullable(table.byId().get(tokenId));
    }

    /**
     * Completes once {@code token} no longer authenticates: revoked, or a bootstrap token given another secret. It is
     * checked against each table installed (a local change at once, another instance's at the next reload), never by
     * a query of its own.
     */
    public Uni<Void> revocation(String token) {
        String hash = hash(token.strip());
        return once(installed -> !installed.byHash().containsKey(hash));
    }

    /**
     * Completes once the token {@code caller} holds is revoked or given another secret (its id stays, its
     * {@link Caller#secretTag()} changes), as {@link #revocation(String)}: what ends the streams opened by a stream
     * token, which names the token by id.
     */
    public Uni<Void> revocation(Caller caller) {
        return once(installed -> {
            Caller now = installed.byId().get(caller.tokenId());
            return now == null || !now.secretTag().equals(caller.secretTag());
        });
    }

    /**
     * Completes once the token {@code caller} holds is revoked or the time its secret was set changes (its id stays,
     * its {@link Caller#secretSetAt()} differs), as {@link #revocation(String)}: what ends the streams opened by a
     * stream token of the release before the binding, which is not bound to the token's secret and is checked against
     * that time instead. A token revoked and made active again under a new secret between two reloads (on another
     * instance) has a new time. A new hash written without a time (by an instance of an earlier release) ends none.
     */
    public Uni<Void> revocationOrNewSecretTime(Caller caller) {
        return once(installed -> {
            Caller now = installed.byId().get(caller.tokenId());
            return now == null || !Objects.equals(now.secretSetAt(), caller.secretSetAt());
        });
    }

    /**
     * Reloads the token table unless a reload of this kind is waiting to start, which it joins; one that has started
     * its read may have read before the commit the caller needs, so the caller waits for the next, which starts after
     * it. At most once per {@link #CATCH_UP_INTERVAL}, and never waits longer than {@link #CATCH_UP_TIMEOUT} for the
     * read (which runs to its end even so): for a stream token bound to a secret this instance's table does not hold
     * yet, which another instance has installed (a bootstrap token's new secret) and issued the URL under. Never
     * fails, a wait that timed out included; the table in force when it completes is the one to check the token
     * against.
     */
    public Uni<Void> catchUp() {
        return catchUp.await().onFailure().recoverWithNull();
    }

    /**
     * Completes when the table in force first satisfies {@code gone}: at subscription (the table may have changed
     * since the request was authenticated), then at each table installed.
     */
    private Uni<Void> once(Predicate<Table> gone) {
        return Multi.createBy()
                .merging()
                .streams(
                        // Signals that come while a check runs fold into the latest: every check reads the table
                        // in force. Off the reloading thread: a stream's end (its response completed) runs on a
                        // worker, and one that fails cannot stop the signal reaching the other streams.
                        installs.subscribe().emitOn(Infrastructure.getDefaultWorkerPool()),
                        Multi.createFrom().item(Boolean.TRUE))
                .select()
                .where(signal -> gone.test(table))
                .toUni()
                .replaceWithVoid();
    }

    /**
     * Tells the open streams that a table that differs from the one before was installed; a stream that fails on it
     * does not stop the others.
     */
    private void signalInstalled() {
        signals.increment();
        installs.emit(Boolean.TRUE);
    }

    /**
     * Calls {@code listener} with the ids of the active tokens of every table installed from now on (changed or not),
     * on the thread that installs it; it must be quick and must not throw.
     */
    public void onInstall(Consumer<Set<UUID>> listener) {
        installListeners.add(listener);
    }

    /** The signals sent to the open streams so far, so a test can tell that an unchanged table sends none. */
    long signalsSent() {
        return signals.sum();
    }

    /** Stores the bootstrap tokens from the environment under their fixed names, then loads the table. */
    public Uni<Void> bootstrap() {
        FlagServiceConfig.Tokens t = config.tokens();
        return storeBootstrap(List.of(
                        new BootstrapToken(BOOTSTRAP_ADMIN, TokenKind.ADMIN, t.bootstrapAdmin()),
                        new BootstrapToken(BOOTSTRAP_SERVICE, TokenKind.SERVICE, t.bootstrapService()),
                        new BootstrapToken(BOOTSTRAP_CLIENT, TokenKind.CLIENT, t.bootstrapClient())))
                .chain(this::reload);
    }

    /**
     * Stores bootstrap tokens in one transaction. Replicas of a first install start at the same moment and each finds
     * no row: the one whose insert loses the unique name waits for the winner's commit and fails, so the whole
     * transaction runs once more and finds the winner's rows to update (an insert never loses twice).
     */
    Uni<Void> storeBootstrap(List<BootstrapToken> wanted) {
        return Uni.createFrom()
                .deferred(() -> Panache.withTransaction(() -> {
                    Uni<Void> steps = Uni.createFrom().voidItem();
                    for (BootstrapToken token : wanted) {
                        steps = steps.chain(() -> upsert(token.name(), token.kind(), token.secret()));
                    }
                    return steps;
                }))
                .onFailure(SqlStates::uniqueViolation)
                .retry()
                .atMost(1);
    }

    /** A token from the environment, stored under a fixed name; an empty secret stores nothing. */
    record BootstrapToken(String name, TokenKind kind, Optional<String> secret) {}

    /**
     * Reloads the in-memory table from the database; keeps the last one when the database cannot be read. A reload
     * installs its table only if no reload that began after it has installed one already: the periodic refresh that
     * read the table just before a revocation committed must not put the revoked token back after the revocation's
     * own reload.
     */
    public Uni<Void> reload() {
        long reading = beginReading();
        return Panache.withSession(tokens::active)
                .invoke(list -> install(reading, list))
                .onFailure()
                .invoke(e -> Log.warnf(
                        "token table not refreshed, keeping %d tokens: %s",
                        table.byHash().size(), e))
                .onFailure()
                .recoverWithNull()
                .replaceWithVoid();
    }

    /**
     * Creates a token and audits it ({@code TOKEN_CREATE}, by the change's actor and token, the token without its
     * secret as the row's after state).
     */
    public Uni<TokenResponse> create(TokenRequest request, ChangeContext ctx) {
        String secret = newSecret();
        return Panache.withTransaction(() -> tokens.findByName(request.name()).chain(existing -> {
                    if (existing != null) {
                        throw tokenExists(request.name());
                    }
                    ApiToken token = new ApiToken();
                    token.id = UUID.randomUUID();
                    token.name = request.name();
                    token.kind = request.kind().name();
                    token.tokenHash = hash(secret);
                    token.requestsPerSecond = request.requestsPerSecond();
                    token.createdAt = Instant.now().truncatedTo(ChronoUnit.MICROS);
                    token.secretSetAt = token.createdAt;
                    token.createdBy = ctx.caller().tokenName();
                    return tokens.persist(token)
                            .call(stored ->
                                    audit.persist(tokenAudit(ctx, "TOKEN_CREATE", null, stored, stored.createdAt)));
                }))
                // A concurrent creation of the same name committed first.
                .onFailure(SqlStates::uniqueViolation)
                .transform(e -> tokenExists(request.name()))
                .call(this::reload)
                .map(token -> toResponse(token, secret));
    }

    private static ApiException tokenExists(String name) {
        return ApiException.conflict("TOKEN_EXISTS", "a token named '" + name + "' exists");
    }

    public Uni<List<TokenResponse>> list() {
        return Panache.withSession(() -> tokens.listAll())
                .map(list -> list.stream().map(t -> toResponse(t, null)).toList());
    }

    /**
     * Revokes a token and audits it ({@code TOKEN_REVOKE}, with the before and after states); revoking a revoked one
     * changes nothing and writes no row.
     */
    public Uni<TokenResponse> revoke(String name, ChangeContext ctx) {
        return Panache.withTransaction(() -> tokens.findByName(name).call(token -> {
                    if (token == null) {
                        throw new ApiException(404, "NOT_FOUND", "no token named '" + name + "'");
                    }
                    if (token.revokedAt != null) {
                        return Uni.createFrom().voidItem();
                    }
                    String before = state(token);
                    token.revokedAt = Instant.now().truncatedTo(ChronoUnit.MICROS);
                    return audit.persist(tokenAudit(ctx, "TOKEN_REVOKE", before, token, token.revokedAt));
                }))
                .call(this::reload)
                .map(token -> toResponse(token, null));
    }

    /**
     * Stores a bootstrap token at start. A revoked one stays revoked while its configured secret is the one that was
     * revoked; a new secret (a rotation) makes it active again.
     */
    private Uni<Void> upsert(String name, TokenKind kind, Optional<String> secret) {
        if (secret.isEmpty() || secret.get().isBlank()) {
            return Uni.createFrom().voidItem();
        }
        String hash = hash(secret.get().strip());
        return tokens.findByName(name).chain(token -> {
            if (token == null) {
                token = new ApiToken();
                token.id = UUID.randomUUID();
                token.name = name;
                token.createdAt = Instant.now();
                token.createdBy = "environment";
            } else if (token.revokedAt != null) {
                if (hash.equals(token.tokenHash)) {
                    Log.warnf(
                            "bootstrap token '%s' stays revoked (since %s): configure a new secret to use it again",
                            name, token.revokedAt);
                    return Uni.createFrom().voidItem();
                }
                Log.infof("bootstrap token '%s' was revoked; its configured secret is new: active again", name);
                token.revokedAt = null;
            }
            token.kind = kind.name();
            if (!hash.equals(token.tokenHash)) {
                // Stream URLs of the release before the binding issued before this moment no longer open streams.
                token.secretSetAt = Instant.now().truncatedTo(ChronoUnit.MICROS);
            }
            token.tokenHash = hash;
            return tokens.persist(token).replaceWithVoid();
        });
    }

    /**
     * Installs the active tokens read by the reload that began {@code reading}-th, unless a later one installed, and
     * signals the open streams if the table differs from the one before (a token added, revoked or given another
     * secret): a catch-up reload for a stale stream URL, which reads the same table, wakes no stream.
     */
    boolean install(long reading, List<ApiToken> active) {
        Map<String, Caller> hashes = new HashMap<>();
        Map<UUID, Caller> ids = new HashMap<>();
        active.forEach(token -> {
            Caller caller = caller(token);
            hashes.put(token.tokenHash, caller);
            ids.put(token.id, caller);
        });
        Table read = new Table(Map.copyOf(hashes), Map.copyOf(ids));
        boolean changed;
        synchronized (this) {
            if (reading < installedReading) {
                return false;
            }
            changed = !read.byId().equals(table.byId());
            table = read;
            installedReading = reading;
        }
        // Outside the lock: a signal reaches every open stream.
        installListeners.forEach(listener -> listener.accept(read.byId().keySet()));
        if (changed) {
            signalInstalled();
        }
        return true;
    }

    /** The number of the next reload, for {@link #install}. */
    long beginReading() {
        return readsBegun.incrementAndGet();
    }

    private static Caller caller(ApiToken token) {
        return new Caller(
                token.id,
                token.name,
                TokenKind.valueOf(token.kind),
                token.requestsPerSecond,
                secretTag(token.tokenHash),
                token.secretSetAt);
    }

    /**
     * What a stream token is bound to: a digest of the stored hash, so every instance derives the same one from the
     * table and a new secret gives another. The stream token carries it only under the stream-token key's HMAC.
     */
    static String secretTag(String tokenHash) {
        return hash("secret-tag|" + tokenHash).substring(0, 32);
    }

    /** A token's audit row: no flag or segment, the token (never its secret or hash) as the after state. */
    private AuditEntry tokenAudit(ChangeContext ctx, String action, String before, ApiToken token, Instant at) {
        return ChangeRecords.audit(ctx, null, action, null, before, state(token), at);
    }

    private String state(ApiToken token) {
        try {
            return json.writeValueAsString(toResponse(token, null));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a token's state cannot be written as JSON", e);
        }
    }

    private static TokenResponse toResponse(ApiToken token, String secret) {
        return new TokenResponse(
                token.id,
                token.name,
                TokenKind.valueOf(token.kind),
                token.requestsPerSecond,
                token.createdAt,
                token.createdBy,
                token.revokedAt,
                secret);
    }

    private static String newSecret() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return "rg_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** Hex SHA-256 of a token, as stored. */
    public static String hash(String token) {
        return HexFormat.of().formatHex(SHA256.get().digest(token.getBytes(StandardCharsets.UTF_8)));
    }

    /** One digest per thread: every request hashes its token, and looking the algorithm up each time costs more. */
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    });
}
