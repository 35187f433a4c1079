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
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.lang.reflect.Method;
import java.time.Duration;
import java.time.Instant;
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
     * request's credential stops opening them: its API token revoked (for a token header, also its secret replaced),
     * or the stream token expired. A stream ends then, so that a revoked client no longer follows changes.
     */
    public static final String CREDENTIAL_ENDS = "rollguard.credential-ends";

    private final TokenService tokens;
    private final StreamTokens streamTokens;
    private final RateLimiter limiter;
    private final CallerHolder holder;
    private final Vertx vertx;
    private final Map<Method, Rule> rules = new ConcurrentHashMap<>();

    public AuthFilter(
            TokenService tokens, StreamTokens streamTokens, RateLimiter limiter, CallerHolder holder, Vertx vertx) {
        this.tokens = tokens;
        this.streamTokens = streamTokens;
        this.limiter = limiter;
        this.holder = holder;
        this.vertx = vertx;
    }

    private record Rule(Set<TokenKind> kinds, boolean rateLimited, boolean streamToken) {
        static final Rule NONE = new Rule(Set.of(), false, false);
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
                return error(401, "UNAUTHENTICATED", BearerTokens.MISSING + " or 'X-API-Key'");
            }
            StreamTokens.Verdict verdict = streamTokens.verify(streamToken);
            if (verdict instanceof StreamTokens.Refused refused) {
                return error(401, "UNAUTHENTICATED", refused.message());
            }
            StreamTokens.Accepted accepted = (StreamTokens.Accepted) verdict;
            caller = accepted.caller();
            routing.put(
                    CREDENTIAL_ENDS,
                    Uni.combine()
                            .any()
                            .of(tokens.revocation(caller.tokenId()), at(accepted.expiresAt()))
                            .replaceWithVoid());
        } else {
            Optional<Caller> found = tokens.authenticate(token);
            if (found.isEmpty()) {
                return error(401, "UNAUTHENTICATED", "unknown or revoked token");
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

    /**
     * Completes just after {@code expiresAt}, when {@link StreamTokens#verify} no longer accepts the token. A Vert.x
     * timer, cancelled with the stream, so a stream closed early leaves nothing scheduled for the rest of the day.
     */
    private Uni<Void> at(Instant expiresAt) {
        return Uni.createFrom().emitter(emitter -> {
            long millis = Math.max(1, Duration.between(Instant.now(), expiresAt).toMillis() + 1);
            long timer = vertx.setTimer(millis, id -> emitter.complete(null));
            emitter.onTermination(() -> vertx.cancelTimer(timer));
        });
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

    static Response error(int status, String code, String message) {
        return Response.status(status)
                .type(MediaType.APPLICATION_JSON_TYPE)
                .entity(new ErrorBody(code, message))
                .build();
    }
}
