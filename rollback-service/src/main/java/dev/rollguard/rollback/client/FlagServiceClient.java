package dev.rollguard.rollback.client;

import dev.rollguard.rollback.client.FlagServiceApi.ErrorBody;
import dev.rollguard.rollback.client.FlagServiceApi.FlagBody;
import dev.rollguard.rollback.client.FlagServiceApi.OfrepRequest;
import dev.rollguard.rollback.client.FlagServiceApi.OfrepResult;
import dev.rollguard.rollback.client.FlagServiceApi.ReasonRequest;
import dev.rollguard.rollback.client.FlagServiceApi.StageRequest;
import dev.rollguard.rollback.config.GuardConfig;
import dev.rollguard.rollback.domain.FlagState;
import dev.rollguard.schemas.event.GuardAction;
import dev.rollguard.schemas.trace.TraceContext;
import io.quarkus.rest.client.reactive.QuarkusRestClientBuilder;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The flag-service as the guard sees it: typed answers, with outages ({@link FlagServiceUnavailableException}, to be
 * retried) told apart from refusals ({@link FlagServiceRejectedException}, final).
 */
@ApplicationScoped
public class FlagServiceClient {

    /** The flag-service refuses longer reasons (400); the full text stays in the guard's own record. */
    static final int MAX_REASON = 2000;
    /** The flag-service's error code for a flag that does not exist. */
    static final String FLAG_NOT_FOUND = "FLAG_NOT_FOUND";

    private final FlagServiceApi api;
    private final FlagBodyMapper mapper;
    private final String serviceAuthorization;
    private final String clientAuthorization;
    private final String probeTargetingKey;

    public FlagServiceClient(GuardConfig config, FlagBodyMapper mapper) {
        this.api = QuarkusRestClientBuilder.newBuilder()
                .baseUri(URI.create(config.flagService().url()))
                .connectTimeout(config.flagService().connectTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .readTimeout(config.flagService().readTimeout().toMillis(), TimeUnit.MILLISECONDS)
                // Statuses are classified here (outage vs refusal), not turned into generic exceptions.
                .disableDefaultMapper(true)
                .build(FlagServiceApi.class);
        this.mapper = mapper;
        this.serviceAuthorization = "Bearer " + config.tokens().service();
        this.clientAuthorization = "Bearer " + config.tokens().client();
        this.probeTargetingKey = config.visibility().targetingKey();
    }

    /** The flag as the flag-service has it now; a null item when the flag does not exist. */
    public Uni<FlagState> getFlag(String key) {
        String what = "GET flag " + key;
        return transport(api.getFlag(key, serviceAuthorization), what).map(response -> {
            if (response.getStatus() == 404) {
                ErrorBody error = readError(response);
                if (FLAG_NOT_FOUND.equals(error.code())) {
                    return null;
                }
                throw misrouted(what, error);
            }
            return flagOrFail(response, what);
        });
    }

    /**
     * A 404 that is not the flag-service's "no such flag" (a proxy's page, an ingress path, a wrong base URL): an
     * outage until the configuration is fixed, never a missing flag, which would skip the kill without a trace.
     */
    private static FlagServiceUnavailableException misrouted(String what, ErrorBody error) {
        return new FlagServiceUnavailableException(what + ": answered 404 " + error.code() + ", not the flag-service's "
                + FLAG_NOT_FOUND + " (is rollback-service.flag-service.url right?)");
    }

    /**
     * The reason as the flag-service takes it, at most {@link #MAX_REASON} characters: cut on a whole character, as
     * half of a surrogate pair (an emoji in a rule's name) is text the flag-service refuses, and that refusal is
     * final.
     */
    static String shortened(String reason) {
        if (reason.length() <= MAX_REASON) {
            return reason;
        }
        int cut = MAX_REASON - 1;
        if (Character.isHighSurrogate(reason.charAt(cut - 1))) {
            cut--;
        }
        return reason.substring(0, cut) + "\u2026";
    }

    /**
     * Applies a guard action. The idempotency key makes a repeated call (a retry after a lost answer, or the same
     * alert read again after a crash) answer the first result instead of acting twice.
     *
     * @return the flag after the change
     */
    public Uni<FlagState> apply(GuardAction action, String key, String idempotencyKey, String fullReason) {
        return apply(action, key, idempotencyKey, fullReason, null);
    }

    /**
     * {@link #apply(GuardAction, String, String, String)} with the request id and trace context the flag-service
     * records in the change's audit row ({@code trace} null: none sent, the flag-service makes its own).
     */
    public Uni<FlagState> apply(
            GuardAction action, String key, String idempotencyKey, String fullReason, TraceContext trace) {
        return apply(action, key, idempotencyKey, fullReason, trace, null);
    }

    /**
     * {@link #apply(GuardAction, String, String, String, TraceContext)}, a {@code REVERT_STAGE} tied to the stage that
     * began at {@code stageVersion} (null: not tied): refused (409 STAGE_CHANGED, a {@link
     * FlagServiceRejectedException}) once the flag is in another stage, so a revert decided on one stage never moves
     * the flag back from the next.
     */
    public Uni<FlagState> apply(
            GuardAction action,
            String key,
            String idempotencyKey,
            String fullReason,
            TraceContext trace,
            Long stageVersion) {
        String what = action + " " + key;
        String requestId = trace == null ? null : trace.requestId();
        String traceparent = trace == null ? null : trace.traceparent();
        String reason = shortened(fullReason);
        Uni<Response> call =
                switch (action) {
                    case KILL ->
                        api.kill(
                                key,
                                serviceAuthorization,
                                idempotencyKey,
                                requestId,
                                traceparent,
                                new ReasonRequest(reason));
                    case REVERT_STAGE ->
                        api.stage(
                                key,
                                serviceAuthorization,
                                idempotencyKey,
                                requestId,
                                traceparent,
                                new StageRequest("revert", reason, stageVersion));
                    case PAUSE ->
                        api.pause(
                                key,
                                serviceAuthorization,
                                idempotencyKey,
                                requestId,
                                traceparent,
                                new ReasonRequest(reason));
                    case NOTIFY_ONLY -> throw new IllegalArgumentException("NOTIFY_ONLY changes no flag");
                };
        return transport(call, what).map(response -> flagOrFail(response, what));
    }

    /** Whether a client evaluating the flag over OFREP now gets it switched off (reason DISABLED). */
    public Uni<Boolean> isDisabledForClients(String key) {
        return transport(
                        api.evaluate(
                                key, clientAuthorization, new OfrepRequest(Map.of("targetingKey", probeTargetingKey))),
                        "OFREP " + key)
                .map(response -> response.getStatus() == 200
                        && "DISABLED"
                                .equals(response.readEntity(OfrepResult.class).reason()));
    }

    private static Uni<Response> transport(Uni<Response> call, String what) {
        return call.onFailure()
                .transform(e -> new FlagServiceUnavailableException(
                        what + ": flag-service unreachable (" + e.getClass().getSimpleName() + ": " + e.getMessage()
                                + ")",
                        e));
    }

    private FlagState flagOrFail(Response response, String what) {
        int status = response.getStatus();
        if (status >= 200 && status < 300) {
            return mapper.toState(response.readEntity(FlagBody.class));
        }
        ErrorBody error = readError(response);
        if (status == 404 && !FLAG_NOT_FOUND.equals(error.code())) {
            throw misrouted(what, error);
        }
        if (passes(status)) {
            throw new FlagServiceUnavailableException(
                    what + ": flag-service answered " + status + " " + error.code() + " " + error.message());
        }
        throw new FlagServiceRejectedException(status, error.code(), error.message());
    }

    /**
     * Whether an error status is expected to pass by itself: 5xx, 429, 408, and 401/403 (a token the other service
     * does not know yet: fixing the configuration must not lose the work).
     */
    static boolean passes(int status) {
        return status >= 500 || status == 429 || status == 408 || status == 401 || status == 403;
    }

    /** The contract's JSON error of an answer, or one made of its status when the body is something else. */
    static ErrorBody readError(Response response) {
        try {
            ErrorBody body = response.readEntity(ErrorBody.class);
            if (body != null && body.code() != null) {
                return body;
            }
        } catch (RuntimeException unreadable) {
            // not the JSON error of the contract (a proxy page, an empty body): fall back to the status alone
        }
        return new ErrorBody("HTTP_" + response.getStatus(), "");
    }
}
