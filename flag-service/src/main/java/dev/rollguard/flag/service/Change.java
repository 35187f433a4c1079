package dev.rollguard.flag.service;

import dev.rollguard.flag.domain.AuditEntry;
import dev.rollguard.flag.domain.FlagEntity;
import dev.rollguard.flag.domain.WriteOutcome;
import dev.rollguard.schemas.event.FlagChangedEvent;
import java.util.List;

/**
 * What one write produced, before {@link WriteTransaction} commits it.
 *
 * @param outcome what the write did, answered with {@code body} and {@code version}
 * @param body the resource as the write left it (a response record), or null
 * @param version the resource's version after the write, or null
 * @param event the change event to publish through the outbox, or null
 * @param audit the audit row, or null
 * @param flag the flag changed, or null; inserted when the outcome is {@link WriteOutcome#CREATED}
 * @param validate whether the flag's targeting is checked before the commit (a create or an edit; a kill or another
 *     control is never refused for it)
 * @param also the changes of other flags committed with this one (the flags a segment change republishes)
 */
record Change(
        WriteOutcome outcome,
        Object body,
        Long version,
        FlagChangedEvent event,
        AuditEntry audit,
        FlagEntity flag,
        boolean validate,
        List<Change> also) {

    Change(WriteOutcome outcome, Object body, Long version, FlagChangedEvent event, AuditEntry audit) {
        this(outcome, body, version, event, audit, null, false, List.of());
    }

    /** Nothing changed: the resource as it is, with no event; {@code audit} when the request is still recorded. */
    static Change unchanged(Object body, long version, AuditEntry audit) {
        return new Change(WriteOutcome.UNCHANGED, body, version, null, audit);
    }

    Change validated() {
        return new Change(outcome, body, version, event, audit, flag, true, also);
    }

    Change with(List<Change> republished) {
        return new Change(outcome, body, version, event, audit, flag, validate, republished);
    }
}
