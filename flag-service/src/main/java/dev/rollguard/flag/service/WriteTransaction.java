package dev.rollguard.flag.service;

import dev.rollguard.flag.config.FlagServiceConfig;
import dev.rollguard.flag.domain.IdempotencyRecord;
import dev.rollguard.flag.domain.OutboxMessage;
import dev.rollguard.flag.domain.WriteOutcome;
import dev.rollguard.flag.mapping.FlagMapper;
import dev.rollguard.flag.publisher.OutboxRelay;
import dev.rollguard.flag.repository.AuditRepository;
import dev.rollguard.flag.repository.FlagRepository;
import dev.rollguard.flag.repository.IdempotencyRepository;
import dev.rollguard.flag.repository.SegmentRepository;
import dev.rollguard.http.error.ApiException;
import dev.rollguard.http.error.SqlStates;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.serde.AvroCodec;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * Runs one change of flags, segments or the global switch to its end. In one transaction: the change itself (which
 * locks the rows it changes), its audit rows, its outbox rows (the FlagChangedEvents the relay publishes) and, with an
 * Idempotency-Key, the answer to replay. After the commit the snapshot serves the change at once and the relay is
 * woken. The same Idempotency-Key again (from the same token) with the same request runs nothing and answers the
 * stored answer; with another request it is refused.
 */
@ApplicationScoped
public class WriteTransaction {

    private static final AvroCodec<FlagChangedEvent> CODEC = AvroCodec.of(FlagChangedEvent.class);

    /** A conflict answered when a unique key was taken by a concurrent request without an Idempotency-Key. */
    private static final Supplier<ApiException> FLAG_CREATED_CONCURRENTLY =
            () -> ApiException.conflict("FLAG_EXISTS", "the flag was created concurrently by another request");

    private final FlagRepository flags;
    private final SegmentRepository segments;
    private final AuditRepository audit;
    private final IdempotencyRepository idempotency;
    private final FlagMapper mapper;
    private final FlagSnapshot snapshot;
    private final OutboxRelay relay;
    private final int maxEventBytes;

    public WriteTransaction(
            FlagRepository flags,
            SegmentRepository segments,
            AuditRepository audit,
            IdempotencyRepository idempotency,
            FlagMapper mapper,
            FlagSnapshot snapshot,
            OutboxRelay relay,
            FlagServiceConfig config) {
        this.flags = flags;
        this.segments = segments;
        this.audit = audit;
        this.idempotency = idempotency;
        this.mapper = mapper;
        this.snapshot = snapshot;
        this.relay = relay;
        this.maxEventBytes = config.outbox().maxEventBytes();
    }

    /** A change of a flag or of the global switch. */
    Uni<WriteResult> run(ChangeContext ctx, Supplier<Uni<Change>> operation) {
        return run(ctx, operation, FLAG_CREATED_CONCURRENTLY);
    }

    /**
     * Runs {@code operation} once per Idempotency-Key (when given) in one transaction, and applies it after commit.
     *
     * @param duplicate the conflict to answer when a concurrent request without an Idempotency-Key took a unique key
     */
    Uni<WriteResult> run(ChangeContext ctx, Supplier<Uni<Change>> operation, Supplier<ApiException> duplicate) {
        if (ctx.idempotencyKey() == null) {
            return transact(ctx, operation, duplicate);
        }
        IdempotencyRecord.Key id = new IdempotencyRecord.Key(ctx.caller().tokenName(), ctx.idempotencyKey());
        return Panache.withSession(() -> idempotency.findById(id)).chain(found -> {
            if (found != null) {
                return Uni.createFrom().item(replay(found, ctx));
            }
            return transact(ctx, operation, duplicate)
                    .onFailure(SqlStates::uniqueViolation)
                    .recoverWithUni(() -> Panache.withSession(() -> idempotency.findById(id))
                            .map(again -> {
                                if (again == null) {
                                    throw duplicate.get();
                                }
                                return replay(again, ctx);
                            }));
        });
    }

    /**
     * The first answer under the request's Idempotency-Key; 422 {@code IDEMPOTENCY_KEY_REUSED} when the key was first
     * sent with another request (another method, target or body), which it never answers.
     */
    private static WriteResult replay(IdempotencyRecord record, ChangeContext ctx) {
        if (!record.answers(ctx.fingerprint())) {
            boolean sameTarget = ctx.fingerprint() != null
                    && record.request.equals(ctx.fingerprint().request());
            throw new ApiException(
                    422,
                    "IDEMPOTENCY_KEY_REUSED",
                    "Idempotency-Key '" + ctx.idempotencyKey() + "' was first sent with "
                            + (sameTarget ? "another body to " + record.request : "another request, " + record.request)
                            + ": a new request needs a new key");
        }
        return new WriteResult(record.outcome, record.body, record.version);
    }

    private Uni<WriteResult> transact(
            ChangeContext ctx, Supplier<Uni<Change>> operation, Supplier<ApiException> duplicate) {
        return Panache.withTransaction(() -> operation.get().chain(change -> {
                    WriteResult result =
                            new WriteResult(change.outcome(), mapper.toJson(change.body()), change.version());
                    List<FlagChangedEvent> events = new ArrayList<>();
                    Uni<?> steps = Uni.createFrom().voidItem();
                    if (change.flag() != null && change.outcome() == WriteOutcome.CREATED) {
                        steps = steps.chain(() -> flags.persist(change.flag()));
                    }
                    List<Change> all = new ArrayList<>();
                    all.add(change);
                    all.addAll(change.also());
                    for (Change one : all) {
                        if (one.audit() != null) {
                            steps = steps.chain(() -> audit.persist(one.audit()));
                        }
                        if (one.event() != null) {
                            events.add(one.event());
                            // What can make a flag larger (its edit, a segment's change) is bounded; a kill or another
                            // control of a flag already over the limit is never refused for it.
                            boolean bounded = one.validate() || one != change;
                            steps = steps.chain(() -> withSegments(one.event(), one.validate()))
                                    .chain(event -> outbox(event, bounded).persist());
                        }
                    }
                    if (ctx.idempotencyKey() != null) {
                        steps = steps.chain(() -> idempotency.persist(record(ctx, result)));
                    }
                    return steps.chain(() -> Panache.getSession().chain(s -> s.flush()))
                            .replaceWith(new Committed(result, events));
                }))
                .onFailure(SqlStates::uniqueViolation)
                .transform(e -> ctx.idempotencyKey() != null ? e : duplicate.get())
                .map(committed -> {
                    if (!committed.events().isEmpty()) {
                        snapshot.applyAll(committed.events());
                        relay.trigger();
                    }
                    return committed.result();
                });
    }

    private record Committed(WriteResult result, List<FlagChangedEvent> events) {}

    /**
     * Copies into a flag's change the definitions of the segments its rules use and, for a create or an edit, checks
     * its targeting (400 {@code INVALID_TARGETING} naming each problem). An edit locks those segments (FOR SHARE) so a
     * segment's concurrent change waits for it and then republishes it; other changes read them without a lock and
     * are republished by such a change, as they hold the flag's row.
     */
    private Uni<FlagChangedEvent> withSegments(FlagChangedEvent event, boolean validate) {
        if (FlagMapper.GLOBAL_KEY.equals(event.getFlagKey())) {
            return Uni.createFrom().item(event);
        }
        return segments.byKeys(FlagMapper.segmentKeys(event), validate).map(found -> {
            mapper.withSegments(event, found);
            if (validate) {
                Targeting.check(event);
            }
            return event;
        });
    }

    /**
     * The outbox row of {@code event}. With {@code bounded}, an event over {@code flag-service.outbox.max-event-bytes} is
     * refused here (413 {@code FLAG_TOO_LARGE}), before it is committed: the broker would refuse it. The request body's
     * limit does not bound it, since the event also carries the segments the flag's rules use. A flag stored over the
     * limit before it was checked can still be killed: should the broker refuse that event, the relay sets it aside and
     * the instance that took the kill serves it.
     */
    private OutboxMessage outbox(FlagChangedEvent event, boolean bounded) {
        byte[] payload = CODEC.encode(event);
        if (bounded && payload.length > maxEventBytes) {
            throw FlagErrors.tooLarge(event.getFlagKey(), payload.length, maxEventBytes);
        }
        OutboxMessage message = new OutboxMessage();
        message.eventId = UUID.fromString(event.getEventId());
        message.flagKey = event.getFlagKey();
        message.version = event.getVersion();
        message.payload = payload;
        message.createdAt = event.getChangedAt();
        return message;
    }

    private static IdempotencyRecord record(ChangeContext ctx, WriteResult result) {
        IdempotencyRecord record = new IdempotencyRecord();
        record.id = new IdempotencyRecord.Key(ctx.caller().tokenName(), ctx.idempotencyKey());
        record.outcome = result.outcome();
        record.body = result.json();
        record.version = result.version();
        record.createdAt = Timestamps.now();
        if (ctx.fingerprint() != null) {
            record.request = ctx.fingerprint().request();
            record.bodySha256 = ctx.fingerprint().bodySha256();
        }
        return record;
    }
}
