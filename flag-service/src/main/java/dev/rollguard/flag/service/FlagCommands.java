package dev.rollguard.flag.service;

import dev.rollguard.flag.api.FlagRequest;
import dev.rollguard.flag.api.GlobalSwitchResponse;
import dev.rollguard.flag.domain.AuditEntry;
import dev.rollguard.flag.domain.FlagEntity;
import dev.rollguard.flag.domain.WriteOutcome;
import dev.rollguard.flag.mapping.FlagMapper;
import dev.rollguard.flag.repository.FlagRepository;
import dev.rollguard.flag.repository.GlobalSwitchRepository;
import dev.rollguard.http.conditional.ExpectedVersion;
import dev.rollguard.http.error.ApiException;
import dev.rollguard.schemas.event.FlagChangeType;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.targeting.FlagEvaluator;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * Every change to flags and to the global kill switch: create, edit, archive, kill and unkill, and the rollout
 * controls. Each locks the row it changes and runs through the {@link WriteTransaction}.
 */
@ApplicationScoped
public class FlagCommands {

    private final FlagRepository flags;
    private final GlobalSwitchRepository globals;
    private final FlagMapper mapper;
    private final ChangeRecords records;
    private final WriteTransaction writes;

    public FlagCommands(
            FlagRepository flags,
            GlobalSwitchRepository globals,
            FlagMapper mapper,
            ChangeRecords records,
            WriteTransaction writes) {
        this.flags = flags;
        this.globals = globals;
        this.mapper = mapper;
        this.records = records;
        this.writes = writes;
    }

    public Uni<WriteResult> create(ChangeContext ctx, FlagRequest request) {
        return writes.run(ctx, () -> flags.findById(request.key()).chain(existing -> {
            if (existing != null) {
                throw ApiException.conflict(
                        "FLAG_EXISTS",
                        "a flag with key '" + request.key() + "' exists" + (existing.archived ? " (archived)" : ""));
            }
            FlagRules.checkCreate(request);
            return checkParent(request.key(), null, request.parent()).map(ignored -> {
                Instant now = Timestamps.now();
                FlagEntity flag = new FlagEntity();
                flag.key = request.key();
                flag.version = 0;
                if (FlagRules.apply(request, flag, mapper) && flag.currentStage != null) {
                    flag.stageEnteredAt = now;
                    flag.stageVersion = 1L;
                }
                flag.createdAt = now;
                return records.flagChanged(
                                ctx, flag, null, "CREATE", FlagChangeType.CREATED, null, now, WriteOutcome.CREATED)
                        .validated();
            });
        }));
    }

    /**
     * Edits the flag's writable fields, when it is at the {@code expected} version: {@code edit} turns its current
     * fields into the new ones (and may refuse them by throwing).
     */
    public Uni<WriteResult> update(
            ChangeContext ctx, String key, ExpectedVersion expected, UnaryOperator<FlagRequest> edit) {
        return writes.run(ctx, () -> flags.lock(key).chain(flag -> {
            requireWritable(flag, key);
            expected.require("flag", key, flag.version);
            FlagRequest request = edit.apply(mapper.toRequest(flag));
            if (!key.equals(request.key())) {
                throw FlagErrors.invalid("key", "cannot be changed");
            }
            FlagRules.checkEdit(flag, request);
            return checkParent(key, flag.parentKey, request.parent()).map(ignored -> {
                String before = records.stateJson(flag);
                Instant now = Timestamps.now();
                Integer fromStage = flag.currentStage;
                boolean entered = FlagRules.apply(request, flag, mapper) && flag.currentStage != null;
                if (!entered && before.equals(records.stateJson(flag))) {
                    // Nothing to change ({}, or the values it has): no new version, so no audit row, no event, and
                    // the evaluation ETags clients cache by stay as they are.
                    return Change.unchanged(mapper.toResponse(flag), flag.version, null);
                }
                if (entered) {
                    // Another stage, or the same at another share: either way a new share is served, so its soak
                    // and the guard's verdict start again (as a stage set does).
                    flag.stageEnteredAt = now;
                    flag.stageVersion = flag.version + 1;
                }
                Change change = records.flagChanged(
                        ctx, flag, before, "UPDATE", FlagChangeType.UPDATED, null, now, WriteOutcome.UPDATED);
                if (entered) {
                    change.audit().fromStage = fromStage;
                    change.audit().toStage = flag.currentStage;
                }
                return change.validated();
            });
        }));
    }

    /**
     * Archives the flag; 409 {@code FLAG_IN_USE} while flags not archived name it as their parent (an archived parent
     * serves off, so they would stay off for good). Holds the lock of parent changes, so no flag is given it as parent
     * meanwhile.
     */
    public Uni<WriteResult> archive(ChangeContext ctx, String key, String reason) {
        return writes.run(ctx, () -> flags.lock(key).chain(flag -> {
            if (flag == null) {
                throw FlagErrors.notFound(key);
            }
            if (flag.archived) {
                return Uni.createFrom().item(Change.unchanged(mapper.toResponse(flag), flag.version, null));
            }
            return flags.lockParentChanges().chain(() -> flags.children(key)).map(children -> {
                if (!children.isEmpty()) {
                    throw ApiException.conflict(
                            "FLAG_IN_USE",
                            "flag '" + key + "' is the parent of flags "
                                    + String.join(
                                            ", ",
                                            children.stream().map(f -> f.key).toList())
                                    + ": give them another parent (or none) first");
                }
                String before = records.stateJson(flag);
                flag.archived = true;
                return records.flagChanged(
                        ctx,
                        flag,
                        before,
                        "ARCHIVE",
                        FlagChangeType.ARCHIVED,
                        reason,
                        Timestamps.now(),
                        WriteOutcome.UPDATED);
            });
        }));
    }

    /** Kills the flag; a kill of a killed flag records its reason in the audit log and changes nothing else. */
    public Uni<WriteResult> kill(ChangeContext ctx, String key, String reason) {
        return onRollout(ctx, key, reason, true, flag -> flag.archived ? null : RolloutControls.kill(flag, reason));
    }

    public Uni<WriteResult> unkill(ChangeContext ctx, String key, String reason) {
        return onFlag(ctx, key, "UNKILL", FlagChangeType.UNKILLED, reason, flag -> {
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
                        flag, mapper.stages(flag), skipSoak, expectedStageVersion, automatic, Timestamps.now()));
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
                ctx,
                key,
                reason,
                false,
                flag -> RolloutControls.retry(flag, mapper.stages(flag), reason, Timestamps.now()));
    }

    /**
     * Moves along the flag's rollout plan: {@code advance} is a promote (the same refusals, soak time included),
     * {@code revert} goes to the previous stage, {@code set} to any. With {@code expectedStageVersion}, only from the
     * stage in force at that version (409 STAGE_CHANGED once the flag has entered another stage since): a move decided on a stage no longer in force (a
     * page shown before the promoter advanced, an alert about a stage already reverted) is not made from another.
     */
    public Uni<WriteResult> stage(
            ChangeContext ctx, String key, String action, Integer index, Long expectedStageVersion, String reason) {
        if ("advance".equals(action)) {
            return promote(ctx, key, reason, false, expectedStageVersion, false);
        }
        if ("set".equals(action) && index == null) {
            throw FlagErrors.invalid("stage", "is required to set a stage");
        }
        return onRollout(
                ctx,
                key,
                reason,
                false,
                flag -> RolloutControls.move(
                        flag, mapper.stages(flag), action, index, expectedStageVersion, Timestamps.now()));
    }

    public Uni<WriteResult> globalKill(ChangeContext ctx, String reason) {
        return onGlobal(ctx, true, reason);
    }

    public Uni<WriteResult> globalUnkill(ChangeContext ctx, String reason) {
        return onGlobal(ctx, false, reason);
    }

    private Uni<WriteResult> onGlobal(ChangeContext ctx, boolean kill, String reason) {
        return writes.run(ctx, () -> globals.lock().map(global -> {
            if (global.killed == kill) {
                return Change.unchanged(mapper.toResponse(global), global.version, null);
            }
            String before = mapper.toJson(mapper.toResponse(global));
            Instant now = Timestamps.now();
            global.killed = kill;
            global.reason = reason;
            global.version++;
            global.updatedAt = now;
            global.updatedBy = ctx.actor();
            GlobalSwitchResponse after = mapper.toResponse(global);
            AuditEntry entry = ChangeRecords.audit(
                    ctx,
                    FlagMapper.GLOBAL_KEY,
                    kill ? "GLOBAL_KILL" : "GLOBAL_UNKILL",
                    reason,
                    before,
                    mapper.toJson(after),
                    now);
            FlagChangedEvent event = ChangeRecords.traced(mapper.toEvent(global, UUID.randomUUID(), ctx.actor()), ctx);
            return new Change(WriteOutcome.UPDATED, after, global.version, event, entry);
        }));
    }

    /**
     * A one-call change of a flag that is not archived.
     *
     * @param mutate applies the change and says whether anything changed
     */
    private Uni<WriteResult> onFlag(
            ChangeContext ctx,
            String key,
            String action,
            FlagChangeType type,
            String reason,
            Function<FlagEntity, Boolean> mutate) {
        return writes.run(ctx, () -> flags.lock(key).map(flag -> {
            requireWritable(flag, key);
            String before = records.stateJson(flag);
            if (!mutate.apply(flag)) {
                return Change.unchanged(mapper.toResponse(flag), flag.version, null);
            }
            return records.flagChanged(ctx, flag, before, action, type, reason, Timestamps.now(), WriteOutcome.UPDATED);
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
        return writes.run(ctx, () -> flags.lock(key).map(flag -> {
            if (flag == null) {
                throw FlagErrors.notFound(key);
            }
            if (!onArchived) {
                requireWritable(flag, key);
            }
            String before = records.stateJson(flag);
            RolloutControls.Transition transition = control.apply(flag);
            if (transition == null) {
                return Change.unchanged(mapper.toResponse(flag), flag.version, null);
            }
            Instant now = Timestamps.now();
            if (!transition.changed()) {
                AuditEntry entry = ChangeRecords.audit(ctx, flag.key, transition.action(), reason, before, before, now);
                stages(entry, transition);
                return Change.unchanged(mapper.toResponse(flag), flag.version, entry);
            }
            Change change = records.flagChanged(
                    ctx, flag, before, transition.action(), transition.type(), reason, now, WriteOutcome.UPDATED);
            stages(change.audit(), transition);
            return change;
        }));
    }

    private static void stages(AuditEntry entry, RolloutControls.Transition transition) {
        entry.fromStage = transition.fromStage();
        entry.toStage = transition.toStage();
    }

    /**
     * Refuses a parent that would make a cycle or too long a chain, for the flag or for any flag below it, and a new
     * parent that is archived. A write that sets or changes the parent first waits for every other such write (and
     * every archive) to end (an advisory lock held to the end of its transaction), so the flags it reads above and
     * below are those that will stand when it commits.
     */
    private Uni<Void> checkParent(String key, String before, String parent) {
        if (parent == null || parent.equals(before) || parent.equals(key)) {
            return checkAncestors(key, parent, 0, FlagEvaluator.MAX_PARENT_DEPTH, 0, false);
        }
        return flags.lockParentChanges()
                .chain(() -> flags.descendantDepth(key, FlagEvaluator.MAX_PARENT_DEPTH))
                .chain(below -> checkAncestors(key, parent, 0, FlagEvaluator.MAX_PARENT_DEPTH - below, below, true));
    }

    /**
     * Walks up from {@code parent}, at {@code depth} above the flag: refuses the flag itself (a cycle), a chain of more
     * than {@code limit} prerequisites (the evaluator's limit less the {@code below} levels of flags under the flag),
     * and, with {@code newParent}, an archived parent.
     */
    private Uni<Void> checkAncestors(String key, String parent, int depth, int limit, int below, boolean newParent) {
        if (parent == null) {
            return Uni.createFrom().voidItem();
        }
        if (parent.equals(key)) {
            throw FlagErrors.invalid("parent", "would make the flag its own prerequisite");
        }
        if (depth >= limit) {
            throw FlagErrors.invalid(
                    "parent",
                    "chain is longer than " + FlagEvaluator.MAX_PARENT_DEPTH + " prerequisites"
                            + (below > 0
                                    ? " for the flags " + below + " level" + (below > 1 ? "s" : "") + " below '" + key
                                            + "'"
                                    : ""));
        }
        return flags.findById(parent).chain(found -> {
            if (found == null) {
                throw FlagErrors.invalid("parent", "no flag with key '" + parent + "'");
            }
            if (newParent && depth == 0 && found.archived) {
                throw FlagErrors.invalid("parent", "flag '" + parent + "' is archived (it serves off to everyone)");
            }
            return checkAncestors(key, found.parentKey, depth + 1, limit, below, newParent);
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
}
