package dev.rollguard.flag.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollguard.flag.api.FlagRequest;
import dev.rollguard.flag.api.FlagResponse;
import dev.rollguard.flag.api.GlobalSwitchResponse;
import dev.rollguard.flag.api.RolloutResponse;
import dev.rollguard.flag.domain.AuditEntry;
import dev.rollguard.flag.domain.FlagEntity;
import dev.rollguard.flag.domain.IdempotencyRecord;
import dev.rollguard.flag.domain.OutboxMessage;
import dev.rollguard.flag.domain.SegmentEntity;
import dev.rollguard.flag.mapping.FlagMapper;
import dev.rollguard.flag.publisher.OutboxRelay;
import dev.rollguard.flag.repository.AuditRepository;
import dev.rollguard.flag.repository.FlagRepository;
import dev.rollguard.flag.repository.GlobalSwitchRepository;
import dev.rollguard.flag.repository.IdempotencyRepository;
import dev.rollguard.flag.repository.SegmentRepository;
import dev.rollguard.http.error.ApiException;
import dev.rollguard.schemas.event.FlagChangeType;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.serde.AvroCodec;
import dev.rollguard.schemas.targeting.FlagEvaluator;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import io.vertx.pgclient.PgException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.ConstraintViolationException;
import jakarta.validation.Validator;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Every change to flags and to the global kill switch. Each runs in one transaction that locks the row, applies the
 * change, and inserts its audit row, its outbox row (the FlagChangedEvent the relay publishes) and, with an
 * Idempotency-Key, the response to replay. After the commit the snapshot serves the change at once and the relay is
 * woken.
 */
@ApplicationScoped
public class FlagService {

    private static final AvroCodec<FlagChangedEvent> CODEC = AvroCodec.of(FlagChangedEvent.class);
    private static final Set<String> PATCHABLE = Arrays.stream(FlagRequest.class.getRecordComponents())
            .map(c -> c.getName())
            .collect(Collectors.toUnmodifiableSet());

    private final FlagRepository flags;
    private final SegmentRepository segments;
    private final GlobalSwitchRepository globals;
    private final AuditRepository audit;
    private final IdempotencyRepository idempotency;
    private final FlagMapper mapper;
    private final FlagSnapshot snapshot;
    private final OutboxRelay relay;
    private final ObjectMapper json;
    private final Validator validator;

    public FlagService(
            FlagRepository flags,
            SegmentRepository segments,
            GlobalSwitchRepository globals,
            AuditRepository audit,
            IdempotencyRepository idempotency,
            FlagMapper mapper,
            FlagSnapshot snapshot,
            OutboxRelay relay,
            ObjectMapper json,
            Validator validator) {
        this.flags = flags;
        this.segments = segments;
        this.globals = globals;
        this.audit = audit;
        this.idempotency = idempotency;
        this.mapper = mapper;
        this.snapshot = snapshot;
        this.relay = relay;
        this.json = json;
        this.validator = validator;
    }

    public Uni<FlagResponse> get(String key) {
        return Panache.withSession(() -> flags.findById(key)).map(flag -> {
            if (flag == null) {
                throw FlagErrors.notFound(key);
            }
            return mapper.toResponse(flag);
        });
    }

    public Uni<List<FlagResponse>> list(boolean includeArchived) {
        return Panache.withSession(() -> flags.list(includeArchived))
                .map(list -> list.stream().map(mapper::toResponse).toList());
    }

    public Uni<GlobalSwitchResponse> globalSwitch() {
        return Panache.withSession(globals::get).map(mapper::toResponse);
    }

    /** Every flag and the global switch as events, to fill the snapshot at start. */
    public Uni<List<FlagChangedEvent>> currentStates() {
        return Panache.withSession(() -> flags.listAll()
                .chain(all -> segments.listAll().chain(defined -> globals.get().map(global -> {
                    Map<String, SegmentEntity> byKey = new HashMap<>();
                    defined.forEach(segment -> byKey.put(segment.key, segment));
                    List<FlagChangedEvent> events = new ArrayList<>();
                    all.forEach(f -> events.add(mapper.withSegments(
                            mapper.toEvent(f, FlagChangeType.OTHER, UUID.randomUUID(), f.updatedAt, f.updatedBy, null),
                            byKey)));
                    events.add(mapper.toEvent(global, UUID.randomUUID(), global.updatedBy));
                    return events;
                }))));
    }

    public Uni<WriteResult> create(ChangeContext ctx, FlagRequest request) {
        return write(ctx, () -> flags.findById(request.key()).chain(existing -> {
            if (existing != null) {
                throw ApiException.conflict(
                        "FLAG_EXISTS",
                        "a flag with key '" + request.key() + "' exists" + (existing.archived ? " (archived)" : ""));
            }
            return checkParent(request.key(), request.parent(), 0).map(ignored -> {
                Instant now = now();
                FlagEntity flag = new FlagEntity();
                flag.key = request.key();
                flag.version = 0;
                if (FlagRules.apply(request, flag, mapper) && flag.currentStage != null) {
                    flag.stageEnteredAt = now;
                    flag.stageVersion = 1L;
                }
                flag.createdAt = now;
                return changed(ctx, flag, null, "CREATE", FlagChangeType.CREATED, null, now, 201)
                        .validated();
            });
        }));
    }

    /** Applies a JSON merge patch (RFC 7396) to the flag's writable fields, when {@code ifMatch} names its version. */
    public Uni<WriteResult> update(ChangeContext ctx, String key, String ifMatch, JsonNode patch) {
        if (patch == null || !patch.isObject()) {
            throw FlagErrors.invalid("body", "must be a JSON object (a merge patch of the flag)");
        }
        for (Iterator<String> names = patch.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!PATCHABLE.contains(name)) {
                throw FlagErrors.invalid(
                        name, "cannot be changed by PATCH (kill, stage, pause and archive have their own calls)");
            }
        }
        long expected = parseIfMatch(ifMatch);
        return write(ctx, () -> flags.lock(key).chain(flag -> {
            requireWritable(flag, key);
            if (flag.version != expected) {
                throw new ApiException(
                        412,
                        "PRECONDITION_FAILED",
                        "flag '" + key + "' is at version " + flag.version + ", not " + expected
                                + ": fetch it again and reapply the change");
            }
            FlagRequest request = merge(flag, patch);
            if (!key.equals(request.key())) {
                throw FlagErrors.invalid("key", "cannot be changed");
            }
            return checkParent(key, request.parent(), 0).map(ignored -> {
                String before = stateJson(flag);
                Instant now = now();
                if (FlagRules.apply(request, flag, mapper) && flag.currentStage != null) {
                    flag.stageEnteredAt = now;
                    flag.stageVersion = flag.version + 1;
                }
                return changed(ctx, flag, before, "UPDATE", FlagChangeType.UPDATED, null, now, 200)
                        .validated();
            });
        }));
    }

    public Uni<WriteResult> archive(ChangeContext ctx, String key, String reason) {
        return onFlag(ctx, key, "ARCHIVE", FlagChangeType.ARCHIVED, reason, true, flag -> {
            if (flag.archived) {
                return false;
            }
            flag.archived = true;
            return true;
        });
    }

    /** Kills the flag; a kill of a killed flag records its reason in the audit log and changes nothing else. */
    public Uni<WriteResult> kill(ChangeContext ctx, String key, String reason) {
        return onRollout(ctx, key, reason, true, flag -> flag.archived ? null : RolloutControls.kill(flag, reason));
    }

    public Uni<WriteResult> unkill(ChangeContext ctx, String key, String reason) {
        return onFlag(ctx, key, "UNKILL", FlagChangeType.UNKILLED, reason, false, flag -> {
            if (!flag.killed) {
                return false;
            }
            flag.killed = false;
            flag.killReason = null;
            return true;
        });
    }

    /** Next stage of the plan now; see {@link RolloutControls#promote}. */
    public Uni<WriteResult> promote(
            ChangeContext ctx,
            String key,
            String reason,
            boolean skipSoak,
            Long expectedStageVersion,
            boolean automatic) {
        return onRollout(
                ctx,
                key,
                reason,
                false,
                flag -> RolloutControls.promote(
                        flag, mapper.stages(flag), skipSoak, expectedStageVersion, automatic, now()));
    }

    public Uni<WriteResult> pause(ChangeContext ctx, String key, String reason) {
        return onRollout(ctx, key, reason, false, flag -> RolloutControls.pause(flag, reason));
    }

    public Uni<WriteResult> resume(ChangeContext ctx, String key, String reason) {
        return onRollout(ctx, key, reason, false, flag -> RolloutControls.resume(flag, reason));
    }

    public Uni<WriteResult> abort(ChangeContext ctx, String key, String reason) {
        return onRollout(ctx, key, reason, false, flag -> RolloutControls.abort(flag, reason));
    }

    public Uni<WriteResult> retry(ChangeContext ctx, String key, String reason) {
        return onRollout(
                ctx, key, reason, false, flag -> RolloutControls.retry(flag, mapper.stages(flag), reason, now()));
    }

    /**
     * Moves along the flag's rollout plan: {@code advance} is a promote (the same refusals, soak time included),
     * {@code revert} goes to the previous stage, {@code set} to any.
     */
    public Uni<WriteResult> stage(ChangeContext ctx, String key, String action, Integer index, String reason) {
        if ("advance".equals(action)) {
            return promote(ctx, key, reason, false, null, false);
        }
        if ("set".equals(action) && index == null) {
            throw FlagErrors.invalid("stage", "is required to set a stage");
        }
        return onRollout(
                ctx, key, reason, false, flag -> RolloutControls.move(flag, mapper.stages(flag), action, index, now()));
    }

    /** The flag's rollout plan and where it stands, at the time of asking. */
    public Uni<RolloutResponse> rollout(String key) {
        return Panache.withSession(() -> flags.findById(key)).map(flag -> {
            if (flag == null) {
                throw FlagErrors.notFound(key);
            }
            return RolloutResponse.of(mapper.toResponse(flag), now());
        });
    }

    public Uni<WriteResult> globalKill(ChangeContext ctx, String reason) {
        return onGlobal(ctx, true, reason);
    }

    public Uni<WriteResult> globalUnkill(ChangeContext ctx, String reason) {
        return onGlobal(ctx, false, reason);
    }

    private Uni<WriteResult> onGlobal(ChangeContext ctx, boolean kill, String reason) {
        return write(ctx, () -> globals.lock().map(global -> {
            if (global.killed == kill) {
                return new Change(200, mapper.toResponse(global), etag(global.version), null, null);
            }
            String before = mapper.toJson(mapper.toResponse(global));
            Instant now = now();
            global.killed = kill;
            global.reason = reason;
            global.version++;
            global.updatedAt = now;
            global.updatedBy = ctx.actor();
            GlobalSwitchResponse after = mapper.toResponse(global);
            AuditEntry entry = auditEntry(
                    ctx,
                    FlagMapper.GLOBAL_KEY,
                    kill ? "GLOBAL_KILL" : "GLOBAL_UNKILL",
                    reason,
                    before,
                    mapper.toJson(after),
                    now);
            FlagChangedEvent event = traced(mapper.toEvent(global, UUID.randomUUID(), ctx.actor()), ctx);
            return new Change(200, after, etag(global.version), event, entry);
        }));
    }

    /**
     * A one-call change of a flag.
     *
     * @param onArchived whether the call answers an archived flag as it is (true) or refuses it (false)
     * @param mutate applies the change and says whether anything changed
     */
    private Uni<WriteResult> onFlag(
            ChangeContext ctx,
            String key,
            String action,
            FlagChangeType type,
            String reason,
            boolean onArchived,
            Function<FlagEntity, Boolean> mutate) {
        return write(ctx, () -> flags.lock(key).map(flag -> {
            if (flag == null) {
                throw FlagErrors.notFound(key);
            }
            if (!onArchived) {
                requireWritable(flag, key);
            }
            String before = stateJson(flag);
            if (!mutate.apply(flag)) {
                return new Change(200, mapper.toResponse(flag), etag(flag.version), null, null);
            }
            return changed(ctx, flag, before, action, type, reason, now(), 200);
        }));
    }

    /**
     * A rollout control on a flag: {@code control} changes the flag and says how, returns null when there is nothing
     * to do, or throws the refusal. An accepted control writes exactly one audit row.
     */
    private Uni<WriteResult> onRollout(
            ChangeContext ctx,
            String key,
            String reason,
            boolean onArchived,
            Function<FlagEntity, RolloutControls.Transition> control) {
        return write(ctx, () -> flags.lock(key).map(flag -> {
            if (flag == null) {
                throw FlagErrors.notFound(key);
            }
            if (!onArchived) {
                requireWritable(flag, key);
            }
            String before = stateJson(flag);
            RolloutControls.Transition transition = control.apply(flag);
            if (transition == null) {
                return new Change(200, mapper.toResponse(flag), etag(flag.version), null, null);
            }
            Instant now = now();
            if (!transition.changed()) {
                AuditEntry entry = auditEntry(ctx, flag.key, transition.action(), reason, before, before, now);
                stages(entry, transition);
                return new Change(200, mapper.toResponse(flag), etag(flag.version), null, entry);
            }
            Change change = changed(ctx, flag, before, transition.action(), transition.type(), reason, now, 200);
            stages(change.audit(), transition);
            return change;
        }));
    }

    private static void stages(AuditEntry entry, RolloutControls.Transition transition) {
        entry.fromStage = transition.fromStage();
        entry.toStage = transition.toStage();
    }

    Change changed(
            ChangeContext ctx,
            FlagEntity flag,
            String before,
            String action,
            FlagChangeType type,
            String reason,
            Instant now,
            int status) {
        flag.version++;
        flag.updatedAt = now;
        flag.updatedBy = ctx.actor();
        FlagResponse after = mapper.toResponse(flag);
        AuditEntry entry = auditEntry(ctx, flag.key, action, reason, before, mapper.toJson(after), now);
        FlagChangedEvent event = traced(mapper.toEvent(flag, type, UUID.randomUUID(), now, ctx.actor(), reason), ctx);
        return new Change(status, after, etag(flag.version), event, entry, flag, false, List.of());
    }

    /**
     * What one write produced, before it is committed.
     *
     * @param created a flag to insert with a 201
     * @param validate whether the flag's targeting is checked before the commit (a create or an edit; a kill or
     *     another control is never refused for it)
     * @param also the changes of other flags committed with this one (the flags a segment change republishes)
     */
    record Change(
            int status,
            Object body,
            String etag,
            FlagChangedEvent event,
            AuditEntry audit,
            FlagEntity created,
            boolean validate,
            List<Change> also) {
        Change(int status, Object body, String etag, FlagChangedEvent event, AuditEntry audit) {
            this(status, body, etag, event, audit, null, false, List.of());
        }

        Change validated() {
            return new Change(status, body, etag, event, audit, created, true, also);
        }

        Change with(List<Change> republished) {
            return new Change(status, body, etag, event, audit, created, validate, republished);
        }
    }

    /** A conflict answered when a unique key was taken by a concurrent request without an Idempotency-Key. */
    private static final Supplier<ApiException> FLAG_CREATED_CONCURRENTLY =
            () -> ApiException.conflict("FLAG_EXISTS", "the flag was created concurrently by another request");

    private Uni<WriteResult> write(ChangeContext ctx, Supplier<Uni<Change>> operation) {
        return write(ctx, operation, FLAG_CREATED_CONCURRENTLY);
    }

    /** Runs {@code operation} once per Idempotency-Key (when given) in one transaction, and applies it after commit. */
    Uni<WriteResult> write(ChangeContext ctx, Supplier<Uni<Change>> operation, Supplier<ApiException> duplicate) {
        if (ctx.idempotencyKey() == null) {
            return transact(ctx, operation, duplicate);
        }
        IdempotencyRecord.Key id = new IdempotencyRecord.Key(ctx.caller().tokenName(), ctx.idempotencyKey());
        return Panache.withSession(() -> idempotency.findById(id)).chain(found -> {
            if (found != null) {
                return Uni.createFrom().item(replay(found));
            }
            return transact(ctx, operation, duplicate)
                    .onFailure(FlagService::isUniqueViolation)
                    .recoverWithUni(() -> Panache.withSession(() -> idempotency.findById(id))
                            .map(again -> {
                                if (again == null) {
                                    throw duplicate.get();
                                }
                                return replay(again);
                            }));
        });
    }

    private Uni<WriteResult> transact(
            ChangeContext ctx, Supplier<Uni<Change>> operation, Supplier<ApiException> duplicate) {
        return Panache.withTransaction(() -> operation.get().chain(change -> {
                    WriteResult result = new WriteResult(change.status(), mapper.toJson(change.body()), change.etag());
                    List<FlagChangedEvent> events = new ArrayList<>();
                    Uni<?> steps = Uni.createFrom().voidItem();
                    if (change.created() != null && change.status() == 201) {
                        steps = steps.chain(() -> flags.persist(change.created()));
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
                            steps = steps.chain(() -> withSegments(one.event(), one.validate()))
                                    .chain(event -> outbox(event).persist());
                        }
                    }
                    if (ctx.idempotencyKey() != null) {
                        steps = steps.chain(() -> idempotency.persist(record(ctx, result)));
                    }
                    return steps.chain(() -> Panache.getSession().chain(s -> s.flush()))
                            .replaceWith(new Committed(result, events));
                }))
                .onFailure(FlagService::isUniqueViolation)
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

    private static OutboxMessage outbox(FlagChangedEvent event) {
        OutboxMessage message = new OutboxMessage();
        message.eventId = UUID.fromString(event.getEventId());
        message.flagKey = event.getFlagKey();
        message.version = event.getVersion();
        message.payload = CODEC.encode(event);
        message.createdAt = event.getChangedAt();
        return message;
    }

    private static IdempotencyRecord record(ChangeContext ctx, WriteResult result) {
        IdempotencyRecord record = new IdempotencyRecord();
        record.id = new IdempotencyRecord.Key(ctx.caller().tokenName(), ctx.idempotencyKey());
        record.status = result.status();
        record.body = result.json();
        record.etag = result.etag();
        record.createdAt = now();
        return record;
    }

    private static WriteResult replay(IdempotencyRecord record) {
        return new WriteResult(record.status, record.body, record.etag);
    }

    /** The change event with the request and trace ids its audit row keeps. */
    private static FlagChangedEvent traced(FlagChangedEvent event, ChangeContext ctx) {
        event.setRequestId(ctx.requestId());
        event.setTraceId(ctx.traceId());
        return event;
    }

    AuditEntry auditEntry(
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

    private FlagRequest merge(FlagEntity flag, JsonNode patch) {
        ObjectNode document = json.valueToTree(mapper.toRequest(flag));
        mergePatch(document, patch);
        FlagRequest request;
        try {
            request = json.treeToValue(document, FlagRequest.class);
        } catch (JsonProcessingException e) {
            // The rest layer says which field has the wrong JSON type, as for a POST body.
            throw new UncheckedIOException(e);
        }
        Set<ConstraintViolation<FlagRequest>> violations = validator.validate(request);
        if (!violations.isEmpty()) {
            throw new ConstraintViolationException(violations);
        }
        return request;
    }

    /** RFC 7396: objects merge member by member, null removes, anything else replaces. */
    private static void mergePatch(ObjectNode target, JsonNode patch) {
        for (Iterator<Map.Entry<String, JsonNode>> it = patch.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            JsonNode value = field.getValue();
            if (value.isNull()) {
                target.remove(field.getKey());
            } else if (value.isObject()
                    && target.get(field.getKey()) instanceof ObjectNode nested
                    && !"variants".equals(field.getKey())) {
                mergePatch(nested, value);
            } else {
                target.set(field.getKey(), value);
            }
        }
    }

    private Uni<Void> checkParent(String key, String parent, int depth) {
        if (parent == null) {
            return Uni.createFrom().voidItem();
        }
        if (parent.equals(key)) {
            throw FlagErrors.invalid("parent", "would make the flag its own prerequisite");
        }
        if (depth >= FlagEvaluator.MAX_PARENT_DEPTH) {
            throw FlagErrors.invalid(
                    "parent", "chain is longer than " + FlagEvaluator.MAX_PARENT_DEPTH + " prerequisites");
        }
        return flags.findById(parent).chain(found -> {
            if (found == null) {
                throw FlagErrors.invalid("parent", "no flag with key '" + parent + "'");
            }
            return checkParent(key, found.parentKey, depth + 1);
        });
    }

    private static void requireWritable(FlagEntity flag, String key) {
        if (flag == null) {
            throw FlagErrors.notFound(key);
        }
        if (flag.archived) {
            throw ApiException.conflict("FLAG_ARCHIVED", "flag '" + key + "' is archived");
        }
    }

    String stateJson(FlagEntity flag) {
        return mapper.toJson(mapper.toResponse(flag));
    }

    private static long parseIfMatch(String ifMatch) {
        if (ifMatch == null || ifMatch.isBlank()) {
            throw new ApiException(
                    428, "PRECONDITION_REQUIRED", "PATCH needs If-Match with the flag's ETag, so no change is lost");
        }
        String tag = ifMatch.strip();
        if (tag.startsWith("W/")) {
            tag = tag.substring(2);
        }
        tag = tag.replace("\"", "");
        try {
            return Long.parseLong(tag);
        } catch (NumberFormatException e) {
            throw new ApiException(
                    412, "PRECONDITION_FAILED", "If-Match " + ifMatch + " is not a version of this flag");
        }
    }

    public static String etag(long version) {
        return "\"" + version + "\"";
    }

    static Instant now() {
        return Instant.now().truncatedTo(ChronoUnit.MILLIS);
    }

    static boolean isUniqueViolation(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof PgException pg && "23505".equals(pg.getSqlState())) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }
}
