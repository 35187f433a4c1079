package dev.rollguard.flag.rest;

import dev.rollguard.flag.domain.Caller;
import dev.rollguard.flag.domain.TokenKind;
import dev.rollguard.flag.service.RateLimiter;
import dev.rollguard.flag.service.StreamTokens;
import dev.rollguard.flag.service.TokenService;
import dev.rollguard.http.BearerTokens;
import dev.rollguard.http.RequestTraceFilter;
import dev.rollguard.http.error.ErrorBody;
import io.smallrye.mutiny.Uni;
import io.vertx.ext.web.RoutingContext;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.lang.reflect.Method;
import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Authenticates every API call by its token ({@code Authorization: Bearer} or {@code X-API-Key}; on the change
 * stream also a stream token in the {@code token} query parameter), checks the token
 * kind against the method's {@link Access}, and applies the per-token evaluation rate. Answers 401, 403 and 429 as
 * JSON errors.
 */
public class AuthFilter {

    public static final String API_KEY_HEADER = "X-API-Key";

    /** Query parameter of the stream token on endpoints that accept one. */
    public static final String STREAM_TOKEN_PARAMETER = "token";

    /** Routing-context key of the authenticated {@link Caller}, for endpoints that need it without a CallerHolder. */
    public static final String CALLER = "rollguard.caller";

    /**
     * Routing-context key, on endpoints that accept a stream token, of a {@code Uni<Void>} that completes once the
     * request's API token is revoked or its secret is replaced (a bootstrap token's, whichever way the stream was
     * opened: by header or by a stream token bound to the secret). A stream ends then, so that a revoked client, or
     * whoever holds a leaked secret or its stream URL, no longer follows changes.
     */
    public static final String CREDENTIAL_ENDS = "rollguard.credential-ends";

    /**
     * Request property holding the {@link StreamTokens.Verdict} that {@link #catchUpForStreamToken} reached without a
     * reload, which {@link #authenticate} takes instead of checking the token again.
     */
    private static final String STREAM_TOKEN_VERDICT = "rollguard.stream-token-verdict";

    private final TokenService tokens;
    private final StreamTokens streamTokens;
    private final RateLimiter limiter;
    private final CallerHolder holder;
    private final Map<Method, Rule> rules = new ConcurrentHashMap<>();

    public AuthFilter(TokenService tokens, StreamTokens streamTokens, RateLimiter limiter, CallerHolder holder) {
        this.tokens = tokens;
        this.streamTokens = streamTokens;
        this.limiter = limiter;
        this.holder = holder;
    }

    private record Rule(Set<TokenKind> kinds, boolean rateLimited, boolean streamToken) {
        static final Rule NONE = new Rule(Set.of(), false, false);
    }

    /**
     * Runs before {@link #authenticate} on the endpoints that take a stream token ({@link StreamTokenCatchUp}): a stream
     * token bound to a secret other than the one this instance's token table holds may have been issued by an instance
     * that installed the API token's new secret before this one reloaded its table. A 401 ends a browser's
     * EventSource for good, so the table is reloaded once ({@link TokenService#catchUp()}) before the token is checked
     * and refused. Only such tokens wait; every other request goes on at once.
     */
    @ServerRequestFilter(priority = Priorities.AUTHENTICATION)
    @StreamTokenCatchUp
    public Uni<Void> catchUpForStreamToken(ContainerRequestContext request) {
        if (token(request) != null) {
            return Uni.createFrom().voidItem();
        }
        String streamToken = request.getUriInfo().getQueryParameters().getFirst(STREAM_TOKEN_PARAMETER);
        if (streamToken == null) {
            return Uni.createFrom().voidItem();
        }
        StreamTokens.Verdict verdict = streamTokens.verify(streamToken);
        if (verdict instanceof StreamTokens.Refused refused && refused.otherSecret()) {
            // Checked again after the reload, against the table it installed.
            return tokens.catchUp();
        }
        request.setProperty(STREAM_TOKEN_VERDICT, verdict);
        return Uni.createFrom().voidItem();
    }

    @ServerRequestFilter
    public Response authenticate(ContainerRequestContext request, ResourceInfo info, RoutingContext routing) {
        Method method = info.getResourceMethod();
        if (method == null) {
            return null;
        }
        Rule rule = rules.computeIfAbsent(method, AuthFilter::rule);
        if (rule == Rule.NONE) {
            return null;
        }
        String token = token(request);
        Caller caller;
        if (token == null) {
            String streamToken = rule.streamToken()
                    ? request.getUriInfo().getQueryParameters().getFirst(STREAM_TOKEN_PARAMETER)
                    : null;
            if (streamToken == null) {
                return unauthenticated(false, BearerTokens.MISSING + " or 'X-API-Key'");
            }
            StreamTokens.Verdict verdict =
                    request.getProperty(STREAM_TOKEN_VERDICT) instanceof StreamTokens.Verdict checked
                            ? checked
                            : streamTokens.verify(streamToken);
            if (verdict instanceof StreamTokens.Refused refused) {
                return unauthenticated(true, refused.message());
            }
            StreamTokens.Accepted accepted = (StreamTokens.Accepted) verdict;
            caller = accepted.caller();
            // Not the stream token's expiry: every URL of one half-TTL period expires at the same instant, and
            // ending their streams then would have every browser reconnect at once; the expiry refuses reconnects.
            // A bound token's caller holds the secret it was issued under: a new secret ends the stream too. An
            // unbound one (of the release before) is checked against the time its API token's secret was set, so a
            // new time ends it (a new hash written without one, by an instance of that release, does not).
            routing.put(
                    CREDENTIAL_ENDS,
                    accepted.bound() ? tokens.revocation(caller) : tokens.revocationOrNewSecretTime(caller));
        } else {
            Optional<Caller> found = tokens.authenticate(token);
            if (found.isEmpty()) {
                return unauthenticated(true, "unknown or revoked token");
            }
            caller = found.get();
            if (rule.streamToken()) {
                routing.put(CREDENTIAL_ENDS, tokens.revocation(token));
            }
        }
        routing.put(CALLER, caller);
        if (!rule.kinds().contains(caller.kind())) {
            return error(
                    403, "FORBIDDEN", "a " + caller.kind().name().toLowerCase() + " token may not call this endpoint");
        }
        if (rule.rateLimited()) {
            long retryAfter = limiter.acquire(caller);
            if (retryAfter > 0) {
                return Response.status(429)
                        .type(MediaType.APPLICATION_JSON_TYPE)
                        .header(HttpHeaders.RETRY_AFTER, Long.toString(retryAfter))
                        .entity(new ErrorBody(
                                "RATE_LIMITED",
                                "token '" + caller.tokenName() + "' exceeded its evaluation rate; retry after "
                                        + retryAfter + " s"))
                        .build();
            }
        }
        if (!rule.rateLimited()) {
            // Only the admin API reads the caller; evaluation skips the request-scoped bean on its hot path.
            holder.set(
                    caller,
                    request.getHeaderString(CallerHolder.ACTOR_HEADER),
                    routing.get(RequestTraceFilter.CONTEXT_KEY),
                    request.getMethod() + " " + routing.request().uri());
        }
        return null;
    }

    private static Rule rule(Method method) {
        Access access = method.getAnnotation(Access.class);
        if (access == null) {
            return Rule.NONE;
        }
        Set<TokenKind> kinds = EnumSet.noneOf(TokenKind.class);
        kinds.addAll(java.util.List.of(access.value()));
        return new Rule(kinds, access.rateLimited(), access.streamToken());
    }

    private static String token(ContainerRequestContext request) {
        String token = BearerTokens.fromAuthorization(request.getHeaderString(HttpHeaders.AUTHORIZATION));
        if (token != null) {
            return token;
        }
        String apiKey = request.getHeaderString(API_KEY_HEADER);
        return apiKey == null || apiKey.isBlank() ? null : apiKey.strip();
    }

    /** The challenge of every 401 (RFC 6750 §3); a token that was sent and refused is named {@code invalid_token}. */
    static final String CHALLENGE = "Bearer realm=\"rollguard\"";

    private static Response unauthenticated(boolean tokenRefused, String message) {
        return Response.status(401)
                .type(MediaType.APPLICATION_JSON_TYPE)
                .header(
                        HttpHeaders.WWW_AUTHENTICATE,
                        tokenRefused ? CHALLENGE + ", error=\"invalid_token\"" : CHALLENGE)
                .entity(new ErrorBody("UNAUTHENTICATED", message))
                .build();
    }

    static Response error(int status, String code, String message) {
        return Response.status(status)
                .type(MediaType.APPLICATION_JSON_TYPE)
                .entity(new ErrorBody(code, message))
                .build();
    }
}
