package dev.rollguard.rollback.service;

import dev.rollguard.rollback.client.AlertStandingClient;
import dev.rollguard.rollback.client.FlagServiceClient;
import dev.rollguard.rollback.client.FlagServiceRejectedException;
import dev.rollguard.rollback.config.GuardConfig;
import dev.rollguard.rollback.domain.ActionState;
import dev.rollguard.rollback.domain.AlertStanding;
import dev.rollguard.rollback.domain.Decision;
import dev.rollguard.rollback.domain.Evidence;
import dev.rollguard.rollback.domain.FlagState;
import dev.rollguard.rollback.domain.RollbackRecord;
import dev.rollguard.rollback.domain.UnknownActionException;
import dev.rollguard.rollback.mapping.RollbackMapper;
import dev.rollguard.rollback.publisher.RollbackPublisher;
import dev.rollguard.rollback.repository.RollbackRepository;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.event.GuardAction;
import dev.rollguard.schemas.event.RollbackOutcome;
import dev.rollguard.schemas.serde.AvroCodec;
import dev.rollguard.schemas.trace.TraceContext;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Handles one alert from receipt to the published RollbackActionEvent.
 *
 * <p>Every step is idempotent, keyed by the alert's idempotency key (fingerprint + ":" + startsAt millis), so the
 * whole handling can simply be run again after any failure or crash: the stored row says how far it got (none:
 * decide; PENDING: the flag-service may or may not have applied the change, call it again with the same key, which
 * it answers with its first answer; DONE but unpublished: publish). The caller acknowledges the Kafka record only
 * when this completes, so the offset is committed only after the flag-service confirmed.
 */
@ApplicationScoped
public class RollbackService {

    /** The flag-service's refusal of a move tied to a stage the flag is no longer in. */
    static final String STAGE_CHANGED = "STAGE_CHANGED";

    /**
     * How long an unconfirmed action stored by a newer release (a higher request format, or an action this release
     * does not know) is left to that release: it may still be sending it, and the flag-service calls of an action have
     * no overall bound (transient failures are retried without limit). Older than this, its writer is taken to be
     * gone, and the action is recorded FAILED without a send.
     */
    static final Duration NEWER_RELEASE_GRACE = Duration.ofMinutes(10);

    private final GuardDecider decider;
    private final FlagServiceClient flagService;
    private final AlertStandingClient alertStanding;
    private final RollbackRepository repository;
    private final RollbackPublisher publisher;
    private final GuardMetrics metrics;
    private final GuardConfig config;

    public RollbackService(
            GuardDecider decider,
            FlagServiceClient flagService,
            AlertStandingClient alertStanding,
            RollbackRepository repository,
            RollbackPublisher publisher,
            GuardMetrics metrics,
            GuardConfig config) {
        this.decider = decider;
        this.flagService = flagService;
        this.alertStanding = alertStanding;
        this.repository = repository;
        this.publisher = publisher;
        this.metrics = metrics;
        this.config = config;
    }

    /**
     * Handles an alert read at {@code receivedAt}. Retries transient failures (flag-service, database or broker
     * unavailable) with exponential backoff and without limit, so the item arrives once the action is recorded and
     * published; fails only for a defect of the alert or of the service.
     */
    public Uni<Void> onAlert(AlertEvent alert, Instant receivedAt) {
        Optional<String> ignored = decider.ignoreReason(alert);
        if (ignored.isPresent()) {
            metrics.ignored(ignored.get());
            Log.debugf("ignoring alert %s (%s)", alert.getAlertId(), ignored.get());
            return Uni.createFrom().voidItem();
        }
        String id = RollbackRecord.idFor(alert.getFingerprint(), alert.getStartsAt());
        metrics.delivery(alert.getEmittedAt(), receivedAt);
        return Uni.createFrom()
                .deferred(() -> handle(alert, id, receivedAt))
                .onFailure(TransientFailures::isTransient)
                .invoke(failure -> {
                    metrics.retry(TransientFailures.cause(failure));
                    Log.warnf("alert %s on %s waits: %s", id, alert.getScopeKey(), failure.getMessage());
                })
                .onFailure(TransientFailures::isTransient)
                .retry()
                .withBackOff(config.retry().initialBackoff(), config.retry().maxBackoff())
                .indefinitely();
    }

    /**
     * The alerts that must be handled one after another, in the order they were read, share this key: those of one
     * flag (the guard's decision depends on what an earlier one did to the flag: already off, cooldown), and those of
     * one scope that names no flag (their notifications stay in order). Alerts with different keys are independent.
     */
    public String orderKey(AlertEvent alert) {
        return decider.namesFlag(alert) ? "flag " + alert.getFlagKey() : "scope " + alert.getScopeKey();
    }

    /**
     * The guard's history, newest first ({@code createdAt} descending, then {@code id} descending), at most {@code
     * limit} actions; with {@code before}, only those that come after that action in this order (the next page).
     *
     * @throws UnknownActionException (as the failure of the {@code Uni}) when {@code before} names no action
     */
    public Uni<List<RollbackRecord>> history(String flagKey, RollbackOutcome outcome, String before, int limit) {
        if (before == null) {
            return repository.list(flagKey, outcome, null, limit);
        }
        return repository.findById(before).flatMap(cursor -> {
            if (cursor == null) {
                return Uni.createFrom().failure(new UnknownActionException(before));
            }
            return repository.list(flagKey, outcome, before, limit);
        });
    }

    /** One action by id; a null item when unknown. */
    public Uni<RollbackRecord> find(String id) {
        return repository.findById(id);
    }

    private Uni<Void> handle(AlertEvent alert, String id, Instant receivedAt) {
        return handle(alert, id, receivedAt, "");
    }

    /** {@code context} opens the reason of a new action ("" for an alert as read). */
    private Uni<Void> handle(AlertEvent alert, String id, Instant receivedAt, String context) {
        return repository
                .findById(id)
                .flatMap(existing ->
                        existing == null ? decideAndAct(alert, id, receivedAt, context) : carryOn(existing));
    }

    /**
     * Decides again on an alert skipped for the cooldown, now that the cooldown is over: an alert that still fires
     * (the alert-service's standing, as for any alert) is acted on now under its own action ({@code
     * <alert id>:after-cooldown-<n>}, also the flag-service's idempotency key, {@link RollbackRecord#recheckIdFor}),
     * one that resolved meanwhile is recorded as a notification. The skipped action is then not due again. Transient
     * failures are retried as for an alert read from the topic.
     */
    public Uni<Void> recheck(RollbackRepository.DueRecheck due) {
        AlertEvent alert = AvroCodec.of(AlertEvent.class).decode(due.alert());
        String id = RollbackRecord.recheckIdFor(due.id());
        String context = "Looked at again when the cooldown ended (the alert was skipped as " + due.id() + "). ";
        return Uni.createFrom()
                .deferred(() -> handle(alert, id, Instant.now(), context))
                .onFailure(TransientFailures::isTransient)
                .invoke(failure -> {
                    metrics.retry(TransientFailures.cause(failure));
                    Log.warnf("recheck %s on %s waits: %s", id, alert.getScopeKey(), failure.getMessage());
                })
                .onFailure(TransientFailures::isTransient)
                .retry()
                .withBackOff(config.retry().initialBackoff(), config.retry().maxBackoff())
                .indefinitely()
                .chain(() -> repository.clearRecheck(due.id()));
    }

    /** Takes an action read back from the database to its end: the alert was read again, or raced. */
    private Uni<Void> carryOn(RollbackRecord existing) {
        if (existing.state() == ActionState.PENDING) {
            return repository.requestFormat(existing.id()).flatMap(format -> {
                boolean newerFormat = format != null && format > RollbackRepository.REQUEST_FORMAT;
                if (newerFormat || existing.action() == null) {
                    if (existing.createdAt() != null
                            && existing.createdAt().plus(NEWER_RELEASE_GRACE).isAfter(Instant.now())) {
                        // Its writer may still be sending it: a request of this release beside it could undo or
                        // spoil that one, and a FAILED recorded now could stand for a change that is made.
                        Log.infof(
                                "alert %s: %s on %s stored at %s by a newer release (request format %s) is"
                                        + " unconfirmed: left to that release",
                                existing.id(), existing.actionName(), existing.flagKey(), existing.createdAt(), format);
                        return Uni.createFrom().voidItem();
                    }
                    return notResumable(existing, format);
                }
                // A scope type or cohort this release does not know leaves the request as first sent (it names
                // neither); only the event is not published (publish).
                metrics.resumed();
                Log.infof("alert %s read again with its %s unconfirmed: resuming", existing.id(), existing.action());
                return applyAndFinish(existing);
            });
        }
        if (existing.unrecognized() != null) {
            // Its event names a state, action, outcome, scope type or cohort the rollbacks schema of this release
            // cannot carry.
            Log.infof(
                    "alert %s already handled by a newer release (%s %s, %s)",
                    existing.id(), existing.stateName(), existing.outcomeName(), existing.actionName());
            return Uni.createFrom().voidItem();
        }
        if (!existing.published()) {
            return publish(existing);
        }
        metrics.duplicate();
        Log.debugf("alert %s already handled (%s)", existing.id(), existing.outcome());
        return Uni.createFrom().voidItem();
    }

    private Uni<Void> decideAndAct(AlertEvent alert, String id, Instant receivedAt, String context) {
        if (!decider.namesFlag(alert)) {
            return decider.decideScopeless(alert)
                    .map(decision ->
                            record(RollbackMapper.newRecord(alert, id, null, decision, null, receivedAt), null))
                    .orElseGet(() -> {
                        metrics.ignored("scopeless");
                        return Uni.createFrom().voidItem();
                    });
        }
        String flagKey = alert.getFlagKey();
        // The flag, the guard's last change to it and the alert's standing are independent lookups: made side by side.
        return Uni.combine()
                .all()
                .unis(
                        flagService.getFlag(flagKey).map(Optional::ofNullable),
                        repository.lastAppliedAt(flagKey).map(Optional::ofNullable),
                        alertStanding.standing(alert.getFingerprint()))
                .asTuple()
                .map(found -> decide(
                        alert, found.getItem1().orElse(null), found.getItem2().orElse(null), found.getItem3(), context))
                .flatMap(decided -> {
                    metrics.decision(receivedAt, Instant.now());
                    FlagState flag = decided.flag();
                    RollbackRecord record = RollbackMapper.newRecord(
                            alert, id, flagKey, decided.decision(), flag == null ? null : flag.version(), receivedAt);
                    return record(
                            record,
                            decided.recheckAt() == null
                                    ? null
                                    : new RollbackRepository.Recheck(
                                            decided.recheckAt(),
                                            AvroCodec.of(AlertEvent.class).encode(alert)));
                });
    }

    private Decided decide(
            AlertEvent alert, FlagState flag, Instant lastAppliedAt, AlertStanding standing, String context) {
        Decision decision = decider.decide(alert, flag, lastAppliedAt, standing, Instant.now());
        if (!context.isEmpty()) {
            decision =
                    new Decision(decision.action(), decision.outcome(), decision.dryRun(), context + decision.reason());
        }
        // Skipped for the cooldown: looked at again when it ends, so a change still bad then is not left as it is.
        Instant recheckAt = decision.outcome() == RollbackOutcome.SKIPPED_COOLDOWN
                ? lastAppliedAt.plusSeconds(flag.policy().cooldownSeconds())
                : null;
        return new Decided(flag, decision, recheckAt);
    }

    private record Decided(FlagState flag, Decision decision, Instant recheckAt) {}

    /**
     * Stores the new action (PENDING before a flag change, DONE otherwise), then carries it through; {@code recheck}
     * is set for an action skipped for the cooldown, looked at again when it ends.
     */
    private Uni<Void> record(RollbackRecord record, RollbackRepository.Recheck recheck) {
        return repository.insert(record, recheck).flatMap(inserted -> {
            if (!inserted) {
                // Another consumer of the partition (during a rebalance) stored it first. Carry it on here too rather
                // than trust that one to finish: the idempotency key makes a second apply harmless.
                return repository.findById(record.id()).flatMap(this::carryOn);
            }
            if (record.state() == ActionState.PENDING) {
                return applyAndFinish(record);
            }
            metrics.action(record.flagKey(), record.action(), record.outcome());
            if (recheck == null) {
                Log.infof("alert %s: %s %s on %s", record.id(), record.outcome(), record.action(), record.flagKey());
            } else {
                Log.infof(
                        "alert %s: %s %s on %s, looked at again at %s",
                        record.id(), record.outcome(), record.action(), record.flagKey(), recheck.at());
            }
            return publish(record);
        });
    }

    /**
     * The request id and trace the change carries to the flag-service, kept with the action so that a retry after a
     * crash sends the same ones; null for an action stored before they were kept.
     */
    private static TraceContext trace(RollbackRecord action) {
        Evidence e = action.evidence();
        if (e.requestId() == null && e.traceId() == null) {
            return null;
        }
        return TraceContext.continueTrace(e.requestId(), e.traceId());
    }

    private Uni<Void> applyAndFinish(RollbackRecord pending) {
        Instant receivedAt = pending.timings().alertReceivedAt();
        return flagService
                .apply(
                        pending.action(),
                        pending.flagKey(),
                        pending.id(),
                        pending.reason(),
                        trace(pending),
                        tiedStage(pending))
                .map(flag -> {
                    Instant confirmedAt = Instant.now();
                    metrics.flip(pending.action(), receivedAt, confirmedAt);
                    Instant changedAt = flag.updatedAt() != null ? flag.updatedAt() : confirmedAt;
                    return pending.completed(RollbackOutcome.APPLIED, pending.reason(), flag.version(), changedAt);
                })
                .onFailure(FlagServiceRejectedException.class)
                .recoverWithItem(failure -> refused(pending, (FlagServiceRejectedException) failure))
                // The probe starts as soon as the flag-service confirmed, beside the database write, so that the
                // measured visibility is the flag-service's, not this service's bookkeeping.
                .flatMap(done -> Uni.combine()
                        .all()
                        .unis(repository.complete(done), probeVisibility(done))
                        .asTuple()
                        .flatMap(written -> written.getItem1()
                                ? finish(written.getItem2()
                                        .map(done::withVisibleAt)
                                        .orElse(done))
                                : recordedElsewhere(done)));
    }

    /** Counts, logs and publishes an action whose outcome this instance recorded. */
    private Uni<Void> finish(RollbackRecord recorded) {
        return Uni.createFrom()
                .item(recorded)
                .invoke(done -> {
                    metrics.action(done.flagKey(), done.action(), done.outcome());
                    metrics.breachToFlip(
                            done.action(),
                            done.timings().firstBreachAt(),
                            done.timings().flagChangedAt());
                    Log.infof(
                            "alert %s: %s %s on %s (flag version %s -> %s, request %s, trace %s)",
                            done.id(),
                            done.outcome(),
                            done.action(),
                            done.flagKey(),
                            done.flagVersionBefore(),
                            done.flagVersionAfter(),
                            done.evidence().requestId(),
                            done.evidence().traceId());
                })
                .flatMap(done -> done.timings().visibleAt() == null
                        ? Uni.createFrom().item(done)
                        : repository
                                .setVisibleAt(done.id(), done.timings().visibleAt())
                                .replaceWith(done))
                .flatMap(this::publish);
    }

    /**
     * Ends an unconfirmed action that a newer release stored and would send in a way this release does not know (a
     * higher request {@code format}, or an action this release does not know): sending it as this release would is a
     * request other than the first under the same Idempotency-Key, refused by the flag-service if the first went
     * through and possibly another change if it did not. Stored longer than {@link #NEWER_RELEASE_GRACE} ago (its
     * writer is gone), it is recorded FAILED without a call, unless another instance recorded its outcome first; the
     * flag's audit log shows whether the first request changed it. An action this release does not know is neither
     * counted nor published: its event names an action the rollbacks schema of this release cannot carry.
     */
    private Uni<Void> notResumable(RollbackRecord pending, Integer format) {
        String how = pending.action() == null
                ? "as " + pending.actionName() + ", an action this release does not know"
                : "in a way this release does not know (request format " + format + ", this release knows up to "
                        + RollbackRepository.REQUEST_FORMAT + ")";
        String reason = pending.reason() + " Not sent again: a newer release stored this action and sends it " + how
                + ". Its first request may have changed the flag: the flag's audit log shows any change made under"
                + " the Idempotency-Key " + pending.id() + ".";
        RollbackRecord done = pending.completed(RollbackOutcome.FAILED, reason, null, null);
        return repository.complete(done).flatMap(changed -> {
            if (!changed) {
                return recordedElsewhere(done);
            }
            Log.errorf(
                    "alert %s: %s on %s left unconfirmed by a newer release that sends it %s: not sent again;"
                            + " recorded FAILED: see the flag's audit log for Idempotency-Key %s",
                    pending.id(), pending.actionName(), pending.flagKey(), how, pending.id());
            if (done.action() == null) {
                return Uni.createFrom().voidItem();
            }
            metrics.action(done.flagKey(), done.action(), done.outcome());
            return publish(done);
        });
    }

    /**
     * An outcome this instance did not record because the action was no longer pending: another instance (or a
     * release beside this one) recorded it first, and that outcome stands. It is not counted again; it is published
     * here only when the instance that recorded it has not published it yet.
     */
    private Uni<Void> recordedElsewhere(RollbackRecord notRecorded) {
        return repository.findById(notRecorded.id()).flatMap(stored -> {
            if (stored == null || stored.state() == ActionState.PENDING) {
                return Uni.createFrom().voidItem();
            }
            Log.infof(
                    "alert %s: %s on %s was recorded %s elsewhere first; %s not recorded",
                    notRecorded.id(),
                    notRecorded.actionName(),
                    notRecorded.flagKey(),
                    stored.outcomeName(),
                    notRecorded.outcome());
            return stored.published() || stored.unrecognized() != null
                    ? Uni.createFrom().voidItem()
                    : publish(stored);
        });
    }

    /**
     * The stage a REVERT_STAGE is tied to: the one its alert judged, stored with the action so that a resumed action
     * sends the same request under its Idempotency-Key; null (not tied) for other actions and for alerts that judged
     * no stage.
     */
    private static Long tiedStage(RollbackRecord action) {
        Evidence.Comparison comparison = action.evidence().comparison();
        return action.action() == GuardAction.REVERT_STAGE && comparison != null ? comparison.stageVersion() : null;
    }

    private static RollbackRecord refused(RollbackRecord pending, FlagServiceRejectedException refusal) {
        Long judged = tiedStage(pending);
        if (judged != null && refusal.status() == 409 && STAGE_CHANGED.equals(refusal.code())) {
            // The flag left the judged stage between the decision and the write: the same skip as when it had left it
            // before the decision, not a failure.
            Log.infof(
                    "alert %s: %s on %s not made, the flag left the stage of version %d: %s",
                    pending.id(), pending.action(), pending.flagKey(), judged, refusal.getMessage());
            return pending.completed(
                    RollbackOutcome.SKIPPED_STAGE_CHANGED,
                    GuardDecider.stageChanged(judged, refusal.getMessage()) + "Decided: " + pending.reason(),
                    null,
                    null);
        }
        RollbackOutcome outcome = refusal.status() == 404 ? RollbackOutcome.SKIPPED_NO_FLAG : RollbackOutcome.FAILED;
        Log.errorf(
                "alert %s: flag-service refused %s on %s: %s",
                pending.id(), pending.action(), pending.flagKey(), refusal.getMessage());
        return pending.completed(
                outcome, pending.reason() + " The flag-service refused: " + refusal.getMessage(), null, null);
    }

    /**
     * Polls OFREP after a kill until clients get the flag switched off, bounded by the configured timeout; empty when
     * not measured (not a kill, probe disabled) or not seen in time.
     */
    private Uni<Optional<Instant>> probeVisibility(RollbackRecord done) {
        if (!config.visibility().enabled()
                || done.outcome() != RollbackOutcome.APPLIED
                || done.action() != GuardAction.KILL) {
            return Uni.createFrom().item(Optional.empty());
        }
        long deadline =
                System.currentTimeMillis() + config.visibility().timeout().toMillis();
        return Uni.createFrom()
                .deferred(() -> flagService.isDisabledForClients(done.flagKey()))
                .flatMap(disabled -> disabled
                        ? Uni.createFrom().item(Instant.now())
                        : Uni.createFrom().<Instant>failure(new IllegalStateException("not visible yet")))
                .onFailure()
                .retry()
                .withBackOff(
                        config.visibility().pollInterval(), config.visibility().pollInterval())
                .withJitter(0)
                .expireAt(deadline)
                .map(visibleAt -> {
                    metrics.visibility(done.timings().flagChangedAt(), visibleAt);
                    return Optional.of(visibleAt);
                })
                .onFailure()
                .recoverWithItem(notSeen -> {
                    Log.warnf(
                            "kill of %s not seen on OFREP within %s",
                            done.flagKey(), config.visibility().timeout());
                    return Optional.empty();
                });
    }

    private Uni<Void> publish(RollbackRecord done) {
        if (done.unrecognized() != null) {
            // The rollbacks schema of this release has no symbol for the name: the event would drop it or misname it.
            // The row stays unpublished, as the newer release that stored it left it.
            Log.infof(
                    "alert %s: %s %s on %s not published: stored by a newer release with a name this release does not"
                            + " know (scope type %s, cohort %s)",
                    done.id(),
                    done.outcomeName(),
                    done.actionName(),
                    done.flagKey(),
                    done.scopeTypeName(),
                    done.cohortName());
            return Uni.createFrom().voidItem();
        }
        return publisher.publish(done).flatMap(sent -> repository.markPublished(done.id()));
    }
}
