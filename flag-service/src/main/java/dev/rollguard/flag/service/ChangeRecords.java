package dev.rollguard.flag.service;

import dev.rollguard.flag.api.FlagResponse;
import dev.rollguard.flag.domain.AuditEntry;
import dev.rollguard.flag.domain.FlagEntity;
import dev.rollguard.flag.domain.WriteOutcome;
import dev.rollguard.flag.mapping.FlagMapper;
import dev.rollguard.schemas.event.FlagChangeType;
import dev.rollguard.schemas.event.FlagChangedEvent;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** What a change leaves behind: its audit row and, for a flag, its new version and its change event. */
@ApplicationScoped
public class ChangeRecords {

    private final FlagMapper mapper;

    public ChangeRecords(FlagMapper mapper) {
        this.mapper = mapper;
    }

    /**
     * A flag changed by {@code ctx}: its next version, the audit row from {@code before} to its new state, and the
     * change event (with the request and trace ids the audit row keeps).
     */
    Change flagChanged(
            ChangeContext ctx,
            FlagEntity flag,
            String before,
            String action,
            FlagChangeType type,
            String reason,
            Instant now,
            WriteOutcome outcome) {
        flag.version++;
        flag.updatedAt = now;
        flag.updatedBy = ctx.actor();
        FlagResponse after = mapper.toResponse(flag);
        AuditEntry entry = audit(ctx, flag.key, action, reason, before, mapper.toJson(after), now);
        FlagChangedEvent event = traced(mapper.toEvent(flag, type, UUID.randomUUID(), now, ctx.actor(), reason), ctx);
        return new Change(outcome, after, flag.version, event, entry, flag, false, List.of());
    }

    /** The flag as its audit row shows it. */
    String stateJson(FlagEntity flag) {
        return mapper.toJson(mapper.toResponse(flag));
    }

    /** The change event with the request and trace ids its audit row keeps. */
    static FlagChangedEvent traced(FlagChangedEvent event, ChangeContext ctx) {
        event.setRequestId(ctx.requestId());
        event.setTraceId(ctx.traceId());
        return event;
    }

    static AuditEntry audit(
            ChangeContext ctx, String key, String action, String reason, String before, String after, Instant at) {
        AuditEntry entry = new AuditEntry();
        entry.flagKey = key;
        entry.action = action;
        entry.actor = ctx.actor();
        entry.tokenName = ctx.caller().tokenName();
        entry.reason = reason;
        entry.before = before;
        entry.after = after;
        entry.idempotencyKey = ctx.idempotencyKey();
        entry.requestId = ctx.requestId();
        entry.traceId = ctx.traceId();
        entry.at = at;
        return entry;
    }
}
