package dev.rollguard.flag.rest;

import dev.rollguard.flag.domain.Caller;
import dev.rollguard.flag.service.ChangeContext;
import dev.rollguard.schemas.trace.TraceContext;
import jakarta.enterprise.context.RequestScoped;

/** The authenticated caller of the current request, set by {@link AuthFilter}. */
@RequestScoped
public class CallerHolder {

    /** Optional header naming the person a token acts for (the console sends the signed-in user). */
    public static final String ACTOR_HEADER = "X-Rollguard-Actor";

    private Caller caller;
    private String actor;
    private TraceContext trace;

    void set(Caller caller, String actor, TraceContext trace) {
        this.caller = caller;
        this.trace = trace;
        this.actor = actor == null || actor.isBlank() ? caller.tokenName() : actor.strip();
    }

    public Caller caller() {
        return caller;
    }

    public ChangeContext change(String idempotencyKey) {
        String key = idempotencyKey == null || idempotencyKey.isBlank() ? null : idempotencyKey.strip();
        return trace == null
                ? new ChangeContext(caller, actor, key)
                : new ChangeContext(caller, actor, key, trace.requestId(), trace.traceId());
    }
}
