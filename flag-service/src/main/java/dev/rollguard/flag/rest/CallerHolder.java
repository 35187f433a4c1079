package dev.rollguard.flag.rest;

import dev.rollguard.flag.domain.Caller;
import dev.rollguard.flag.domain.RequestFingerprint;
import dev.rollguard.flag.service.ChangeContext;
import dev.rollguard.schemas.trace.TraceContext;
import jakarta.enterprise.context.RequestScoped;

/** The authenticated caller of the current request, set by {@link AuthFilter}. */
@RequestScoped
public class CallerHolder {

    /** Optional header naming the person a token acts for (the console sends the signed-in user). */
    public static final String ACTOR_HEADER = "X-Rollguard-Actor";

    private static final String NO_BODY = IdempotentBodies.sha256(new byte[0]);

    private Caller caller;
    private String actor;
    private TraceContext trace;
    private String request;
    private String bodySha256 = NO_BODY;

    /**
     * @param request the method and target of the request ({@code POST /api/flags/checkout/kill})
     */
    void set(Caller caller, String actor, TraceContext trace, String request) {
        this.caller = caller;
        this.trace = trace;
        this.actor = actor == null || actor.isBlank() ? caller.tokenName() : actor.strip();
        this.request = request;
    }

    /** The SHA-256 of the request's body, as {@link IdempotentBodies} read it. */
    void body(String sha256) {
        this.bodySha256 = sha256;
    }

    public Caller caller() {
        return caller;
    }

    public ChangeContext change(String idempotencyKey) {
        String key = idempotencyKey == null || idempotencyKey.isBlank() ? null : idempotencyKey.strip();
        RequestFingerprint fingerprint = request == null ? null : new RequestFingerprint(request, bodySha256);
        return new ChangeContext(
                caller,
                actor,
                key,
                trace == null ? null : trace.requestId(),
                trace == null ? null : trace.traceId(),
                fingerprint);
    }
}
