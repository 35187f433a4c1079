package dev.rollguard.flag.service;

import dev.rollguard.flag.api.SegmentRequest;
import dev.rollguard.flag.api.SegmentResponse;
import dev.rollguard.flag.domain.AuditEntry;
import dev.rollguard.flag.domain.Condition;
import dev.rollguard.flag.domain.FlagEntity;
import dev.rollguard.flag.domain.SegmentEntity;
import dev.rollguard.flag.domain.WriteOutcome;
import dev.rollguard.flag.mapping.FlagMapper;
import dev.rollguard.flag.repository.FlagRepository;
import dev.rollguard.flag.repository.SegmentRepository;
import dev.rollguard.http.conditional.ExpectedVersion;
import dev.rollguard.http.error.ApiException;
import dev.rollguard.schemas.event.FlagChangeType;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * Changes to segments, each in one transaction with its audit row, through the same write path as flags (Idempotency-Key,
 * outbox). A segment's change republishes every flag that uses it (a new version, changeType UPDATED, with the new
 * definition copied in); a segment in use is never deleted.
 */
@ApplicationScoped
public class SegmentService {

    private static final Supplier<ApiException> CREATED_CONCURRENTLY =
            () -> ApiException.conflict("SEGMENT_EXISTS", "the segment was created concurrently by another request");

    private final SegmentRepository segments;
    private final FlagRepository flags;
    private final WriteTransaction writes;
    private final ChangeRecords records;
    private final FlagMapper mapper;

    public SegmentService(
            SegmentRepository segments,
            FlagRepository flags,
            WriteTransaction writes,
            ChangeRecords records,
            FlagMapper mapper) {
        this.segments = segments;
        this.flags = flags;
        this.writes = writes;
        this.records = records;
        this.mapper = mapper;
    }

    public Uni<List<SegmentResponse>> list() {
        return Panache.withSession(() -> segments.listByKey().chain(all -> users().map(usedBy -> all.stream()
                .map(s -> mapper.toResponse(s, usedBy.getOrDefault(s.key, List.of())))
                .toList())));
    }

    public Uni<SegmentResponse> get(String key) {
        return Panache.withSession(() -> segments.findById(key).chain(segment -> {
            if (segment == null) {
                throw notFound(key);
            }
            return usedBy(key, false).map(users -> mapper.toResponse(segment, keys(users)));
        }));
    }

    public Uni<WriteResult> create(ChangeContext ctx, SegmentRequest request) {
        if (request.key() == null) {
            throw FlagErrors.invalid("key", "is required");
        }
        List<Condition> conditions = conditions(request);
        Targeting.checkSegment(request.key(), conditions);
        return writes.run(
                ctx,
                () -> segments.findById(request.key()).chain(existing -> {
                    if (existing != null) {
                        throw ApiException.conflict(
                                "SEGMENT_EXISTS", "a segment with key '" + request.key() + "' exists");
                    }
                    Instant now = Timestamps.now();
                    SegmentEntity segment = new SegmentEntity();
                    segment.key = request.key();
                    segment.description = request.description();
                    segment.constraints = mapper.toJson(conditions);
                    segment.version = 1;
                    segment.createdAt = now;
                    segment.updatedAt = now;
                    segment.updatedBy = ctx.actor();
                    SegmentResponse after = mapper.toResponse(segment, List.of());
                    AuditEntry entry = audit(ctx, segment.key, "SEGMENT_CREATE", null, after, now);
                    return segments.persist(segment)
                            .replaceWith(new Change(WriteOutcome.CREATED, after, 1L, null, entry));
                }),
                CREATED_CONCURRENTLY);
    }

    /**
     * Replaces the segment's description and constraints, when it is at the {@code expected} version; when they
     * change, every flag using it is republished with the new definition.
     */
    public Uni<WriteResult> update(ChangeContext ctx, String key, ExpectedVersion expected, SegmentRequest request) {
        if (request.key() != null && !request.key().equals(key)) {
            throw FlagErrors.invalid("key", "cannot be changed (it is '" + key + "')");
        }
        List<Condition> conditions = conditions(request);
        Targeting.checkSegment(key, conditions);
        return writes.run(
                ctx,
                () -> segments.lock(key).chain(segment -> {
                    if (segment == null) {
                        throw notFound(key);
                    }
                    expected.require("segment", key, segment.version);
                    return usedBy(key, true).map(users -> {
                        List<String> usedBy = keys(users);
                        SegmentResponse before = mapper.toResponse(segment, usedBy);
                        if (Objects.equals(segment.description, request.description())
                                && mapper.conditions(segment).equals(conditions)) {
                            return Change.unchanged(before, segment.version, null);
                        }
                        Instant now = Timestamps.now();
                        segment.description = request.description();
                        segment.constraints = mapper.toJson(conditions);
                        segment.version++;
                        segment.updatedAt = now;
                        segment.updatedBy = ctx.actor();
                        SegmentResponse after = mapper.toResponse(segment, usedBy);
                        AuditEntry entry = audit(ctx, key, "SEGMENT_UPDATE", before, after, now);
                        String reason = "segment " + key + " changed";
                        List<Change> republished = new ArrayList<>();
                        for (FlagEntity flag : users) {
                            String flagBefore = records.stateJson(flag);
                            republished.add(records.flagChanged(
                                    ctx,
                                    flag,
                                    flagBefore,
                                    "UPDATE",
                                    FlagChangeType.UPDATED,
                                    reason,
                                    now,
                                    WriteOutcome.UPDATED));
                        }
                        return new Change(WriteOutcome.UPDATED, after, segment.version, null, entry).with(republished);
                    });
                }),
                CREATED_CONCURRENTLY);
    }

    /** Deletes a segment no flag uses; 409 {@code SEGMENT_IN_USE} naming the flags otherwise. */
    public Uni<WriteResult> delete(ChangeContext ctx, String key, String reason) {
        return writes.run(
                ctx,
                () -> segments.lock(key).chain(segment -> {
                    if (segment == null) {
                        throw notFound(key);
                    }
                    return usedBy(key, false).chain(users -> {
                        if (!users.isEmpty()) {
                            throw ApiException.conflict(
                                    "SEGMENT_IN_USE",
                                    "segment '" + key + "' is used by flags " + String.join(", ", keys(users))
                                            + ": remove it from their rules first");
                        }
                        AuditEntry entry = audit(
                                ctx,
                                key,
                                "SEGMENT_DELETE",
                                mapper.toResponse(segment, List.of()),
                                null,
                                Timestamps.now());
                        entry.reason = reason;
                        return segments.delete(segment)
                                .replaceWith(new Change(WriteOutcome.DELETED, null, null, null, entry));
                    });
                }),
                CREATED_CONCURRENTLY);
    }

    /** Every segment key to the flags (not archived) whose rules use it. */
    private Uni<Map<String, List<String>>> users() {
        return flags.list("archived = false and rules <> '[]' order by key").map(all -> {
            Map<String, List<String>> result = new TreeMap<>();
            for (FlagEntity flag : all) {
                for (String segment : mapper.segmentKeys(flag)) {
                    result.computeIfAbsent(segment, k -> new ArrayList<>()).add(flag.key);
                }
            }
            return result;
        });
    }

    /** The flags (not archived) whose rules use the segment, by key; with {@code lock} their rows are locked. */
    private Uni<List<FlagEntity>> usedBy(String key, boolean lock) {
        return (lock ? flags.lockMentioningSegment(key) : flags.mentioningSegment(key)).map(found -> found.stream()
                .filter(flag -> mapper.segmentKeys(flag).contains(key))
                .toList());
    }

    private static List<String> keys(List<FlagEntity> flags) {
        return flags.stream().map(f -> f.key).toList();
    }

    private static List<Condition> conditions(SegmentRequest request) {
        return request.constraints().stream().map(FlagMapper::toCondition).toList();
    }

    private AuditEntry audit(
            ChangeContext ctx, String key, String action, SegmentResponse before, SegmentResponse after, Instant at) {
        AuditEntry entry = ChangeRecords.audit(
                ctx,
                null,
                action,
                null,
                before == null ? null : mapper.toJson(before),
                after == null ? null : mapper.toJson(after),
                at);
        entry.segmentKey = key;
        return entry;
    }

    static ApiException notFound(String key) {
        return new ApiException(404, "SEGMENT_NOT_FOUND", "no segment with key '" + key + "'");
    }
}
