package dev.rollguard.rollback.service;

import dev.rollguard.rollback.client.FlagServiceClient;
import dev.rollguard.rollback.client.FlagServiceRejectedException;
import dev.rollguard.rollback.client.PromotionClient;
import dev.rollguard.rollback.client.UpstreamUnavailableException;
import dev.rollguard.rollback.config.GuardConfig;
import dev.rollguard.rollback.domain.ActionState;
import dev.rollguard.rollback.domain.Assessment;
import dev.rollguard.rollback.domain.GuardReading;
import dev.rollguard.rollback.domain.RolloutPlan;
import dev.rollguard.rollback.domain.RolloutStep;
import dev.rollguard.rollback.domain.StageHistory;
import dev.rollguard.rollback.mapping.RolloutMapper;
import dev.rollguard.rollback.publisher.RolloutPublisher;
import dev.rollguard.rollback.repository.RolloutRepository;
import dev.rollguard.schemas.event.GuardAction;
import dev.rollguard.schemas.event.RolloutOutcome;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * The promoter: every round it reads every flag's rollout plan from the flag-service and every guard verdict from the
 * alert-service, assesses each flag with {@link PromotionDecider}, and takes the steps it decides: promote, extend,
 * hold (pause) or revert. Each step is stored before the flag is changed, under an id that is also the flag-service's
 * Idempotency-Key, so a step interrupted by a crash or an outage is finished by a later round, never taken twice (by
 * this instance or another one); once done it is published on {@code rollouts}.
 */
@ApplicationScoped
public class Promoter {

    /** The guard's verdicts of one round, or why they could not be read. */
    private record Readings(Map<String, GuardReading> verdicts, String problem) {}

    private final PromotionClient client;
    private final FlagServiceClient flags;
    private final RolloutRepository repository;
    private final RolloutPublisher publisher;
    private final GuardConfig config;
    private final MeterRegistry meters;
    private final Map<String, Assessment> assessments = new ConcurrentHashMap<>();
    private final Counter roundsFailed;
    private volatile String lastProblem;

    public Promoter(
            PromotionClient client,
            FlagServiceClient flags,
            RolloutRepository repository,
            RolloutPublisher publisher,
            GuardConfig config,
            MeterRegistry meters) {
        this.client = client;
        this.flags = flags;
        this.repository = repository;
        this.publisher = publisher;
        this.config = config;
        this.meters = meters;
        this.roundsFailed = Counter.builder("rollguard.rollout.rounds.failed")
                .description("Promoter rounds that could not read the flags' plans (the flag-service was unavailable)")
                .register(meters);
        for (Assessment.Decision decision : Assessment.Decision.values()) {
            Gauge.builder("rollguard.rollout.flags", assessments, all -> all.values().stream()
                            .filter(a -> a.decision() == decision)
                            .count())
                    .description("Flags on a rollout plan by the promoter's latest decision")
                    .tag("decision", decision.name())
                    .register(meters);
        }
    }

    @Scheduled(
            identity = "promoter",
            every = "${rollback-service.promotion.interval}",
            delayed = "${rollback-service.promotion.interval}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> scheduledRound() {
        if (!config.promotion().enabled()) {
            return Uni.createFrom().voidItem();
        }
        return round(Instant.now());
    }

    /** One round at {@code now}; a failure is logged and counted, and the next round starts afresh. */
    public Uni<Void> round(Instant now) {
        return resumePending()
                .chain(this::republish)
                .chain(client::plans)
                .chain(plans -> readVerdicts().chain(readings -> Multi.createFrom()
                        .iterable(plans)
                        .filter(plan -> !plan.stages().isEmpty() && !plan.archived())
                        .onItem()
                        .transformToUniAndConcatenate(plan -> assessAndAct(plan, readings, now))
                        .collect()
                        .asList()
                        .invoke(() -> forgetAllBut(plans))))
                .invoke(() -> lastProblem = null)
                .replaceWithVoid()
                .onFailure()
                .recoverWithUni(e -> {
                    roundsFailed.increment();
                    String problem = e.getMessage();
                    if (!problem.equals(lastProblem)) {
                        Log.warnf("promoter round skipped: %s", problem);
                    }
                    lastProblem = problem;
                    return Uni.createFrom().voidItem();
                });
    }

    /** The latest assessment of every flag on a rollout plan, by flag key. */
    public List<Assessment> assessments(String flag) {
        return assessments.values().stream()
                .filter(a -> flag == null || flag.equals(a.flagKey()))
                .sorted(Comparator.comparing(Assessment::flagKey))
                .toList();
    }

    public Uni<List<RolloutStep>> history(String flag, int limit) {
        return repository.list(flag, limit);
    }

    public Uni<RolloutStep> find(String id) {
        return repository.find(id);
    }

    private Uni<Readings> readVerdicts() {
        return client.verdicts()
                .map(verdicts -> new Readings(verdicts, null))
                .onFailure(e -> e instanceof UpstreamUnavailableException || e instanceof FlagServiceRejectedException)
                .recoverWithItem(e -> new Readings(Map.of(), e.getMessage()));
    }

    private void forgetAllBut(List<RolloutPlan> plans) {
        Set<String> keys = plans.stream().map(RolloutPlan::key).collect(Collectors.toSet());
        assessments.keySet().retainAll(keys);
    }

    private Uni<Void> assessAndAct(RolloutPlan plan, Readings readings, Instant now) {
        boolean mayAct = "PROGRESSING".equals(plan.phase()) && plan.stage().auto() && plan.stageVersion() != null;
        Uni<StageHistory> history = mayAct
                ? repository.stageHistory(plan.key(), plan.stageVersion())
                : Uni.createFrom().item(StageHistory.NONE);
        return history.chain(h -> {
                    Assessment a = PromotionDecider.assess(
                            plan,
                            readings.verdicts().get(plan.key()),
                            readings.problem(),
                            h,
                            now,
                            config.promotion().maxEvidenceAge());
                    assessments.put(plan.key(), a);
                    return mayAct && a.acts()
                            ? take(plan, a, now)
                            : Uni.createFrom().voidItem();
                })
                .onFailure()
                .recoverWithUni(e -> {
                    // One flag's trouble (an outage during its step) does not stop the others; its pending step is
                    // finished by a later round.
                    Log.warnf("promoter: %s not settled this round: %s", plan.key(), e.getMessage());
                    return Uni.createFrom().voidItem();
                });
    }

    private Uni<Void> take(RolloutPlan plan, Assessment a, Instant now) {
        boolean dryRun = config.promotion().dryRun();
        RolloutStep step = RolloutMapper.pending(plan, a, dryRun, now);
        return repository
                .insert(step)
                .chain(inserted -> inserted ? Uni.createFrom().item(step) : repository.find(step.id()))
                .chain(stored -> {
                    if (stored == null) {
                        return Uni.createFrom().voidItem();
                    }
                    if (stored.state() == ActionState.DONE) {
                        return stored.published() ? Uni.createFrom().voidItem() : publish(stored);
                    }
                    return apply(stored)
                            .chain(done -> done == null ? Uni.createFrom().voidItem() : publish(done));
                });
    }

    /** Applies a pending step; null when the flag-service asked to wait (the step is forgotten, not taken). */
    private Uni<RolloutStep> apply(RolloutStep step) {
        if (step.dryRun()) {
            return complete(step.done(
                    RolloutOutcome.DRY_RUN, "Dry run: would " + step.action() + ". " + step.reason(), null, null));
        }
        Uni<RolloutStep> applied =
                switch (step.action()) {
                    case EXTEND -> Uni.createFrom().item(step.done(RolloutOutcome.APPLIED, step.reason(), null, null));
                    case PROMOTE ->
                        client.promote(step.flagKey(), step.id(), step.reason(), step.stageVersion())
                                .map(changed -> step.done(
                                        RolloutOutcome.APPLIED, step.reason(), changed.version(), changed.at()));
                    case HOLD -> changeFlag(step, GuardAction.PAUSE);
                    case REVERT -> changeFlag(step, GuardAction.REVERT_STAGE);
                };
        return applied.onFailure(FlagServiceRejectedException.class)
                .recoverWithUni(e -> refused(step, (FlagServiceRejectedException) e))
                .chain(done -> done == null ? Uni.createFrom().nullItem() : complete(done));
    }

    private Uni<RolloutStep> changeFlag(RolloutStep step, GuardAction action) {
        String reason = "Automatic " + step.action() + " by Rollguard: " + step.reason();
        // A revert is tied to the stage the step was decided on: never from the next one, should the flag have moved.
        Long stage = action == GuardAction.REVERT_STAGE ? step.stageVersion() : null;
        return flags.apply(action, step.flagKey(), step.id(), reason, null, stage)
                .map(after -> step.done(RolloutOutcome.APPLIED, reason, after.version(), after.updatedAt()));
    }

    private Uni<RolloutStep> refused(RolloutStep step, FlagServiceRejectedException e) {
        if ("SOAK_NOT_ELAPSED".equals(e.code())) {
            // The flag-service's clock says the soak is not over yet: wait for it rather than record a refusal.
            return repository.delete(step.id()).replaceWith(Uni.createFrom().nullItem());
        }
        RolloutOutcome outcome = e.status() == 409 ? RolloutOutcome.REFUSED : RolloutOutcome.FAILED;
        return Uni.createFrom()
                .item(step.done(
                        outcome,
                        step.reason() + " Refused by the flag-service: " + e.code() + ": " + e.getMessage(),
                        null,
                        null));
    }

    private Uni<RolloutStep> complete(RolloutStep done) {
        return repository
                .complete(done)
                .invoke(() -> {
                    Counter.builder("rollguard.rollout.steps")
                            .description("Steps the promoter took")
                            .tag("action", done.action().name())
                            .tag("outcome", done.outcome().name())
                            .tag("flag", done.flagKey())
                            .register(meters)
                            .increment();
                    Log.infof("promoter: %s %s %s: %s", done.flagKey(), done.action(), done.outcome(), done.reason());
                })
                .replaceWith(done);
    }

    private Uni<Void> publish(RolloutStep step) {
        return publisher
                .publish(step)
                .chain(() -> repository.markPublished(step.id()))
                .onFailure()
                .recoverWithUni(e -> {
                    Log.warnf("promoter: step %s not published yet (%s); the next round tries again", step.id(), e);
                    return Uni.createFrom().voidItem();
                });
    }

    /** Finishes the steps an outage or a crash interrupted, whatever the flag's state is now. */
    private Uni<Void> resumePending() {
        return repository.pending().chain(steps -> Multi.createFrom()
                .iterable(steps)
                .onItem()
                .transformToUniAndConcatenate(step -> apply(step)
                        .chain(done -> done == null ? Uni.createFrom().voidItem() : publish(done))
                        .onFailure()
                        .recoverWithUni(e -> {
                            Log.warnf("promoter: step %s still pending: %s", step.id(), e.getMessage());
                            return Uni.createFrom().voidItem();
                        }))
                .collect()
                .last()
                .replaceWithVoid());
    }

    private Uni<Void> republish() {
        return repository.unpublished().chain(steps -> Multi.createFrom()
                .iterable(steps)
                .onItem()
                .transformToUniAndConcatenate(this::publish)
                .collect()
                .last()
                .replaceWithVoid());
    }
}
