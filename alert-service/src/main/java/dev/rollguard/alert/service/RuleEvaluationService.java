package dev.rollguard.alert.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rollguard.alert.config.AlertConfig;
import dev.rollguard.alert.config.InstanceIdentity;
import dev.rollguard.alert.domain.AlertStateMachine;
import dev.rollguard.alert.domain.FlapPolicy;
import dev.rollguard.alert.domain.Observation;
import dev.rollguard.alert.domain.Phase;
import dev.rollguard.alert.domain.RuleDefinition;
import dev.rollguard.alert.domain.Scope;
import dev.rollguard.alert.domain.ScopeState;
import dev.rollguard.alert.domain.StageEvidence;
import dev.rollguard.alert.domain.StoredTransition;
import dev.rollguard.alert.domain.Transition;
import dev.rollguard.alert.domain.grouping.GroupPolicy;
import dev.rollguard.alert.domain.judgment.FlagStatus;
import dev.rollguard.alert.domain.judgment.FlagVerdict;
import dev.rollguard.alert.mapping.AlertMapper;
import dev.rollguard.alert.mapping.ConsoleLinks;
import dev.rollguard.alert.mapping.WebhookPayload;
import dev.rollguard.alert.mapping.WindowFigures;
import dev.rollguard.alert.publisher.DeadLetterPublisher;
import dev.rollguard.alert.repository.DataErrors;
import dev.rollguard.alert.repository.EvaluationRepository;
import dev.rollguard.alert.repository.EvaluationRepository.PartitionFencedException;
import dev.rollguard.alert.repository.EvaluationWrite;
import dev.rollguard.alert.repository.EvaluationWrite.CohortWindowRow;
import dev.rollguard.alert.repository.EvaluationWrite.Fence;
import dev.rollguard.alert.repository.EvaluationWrite.StateRow;
import dev.rollguard.alert.repository.EvaluationWrite.WatermarkRow;
import dev.rollguard.alert.repository.PendingAlert;
import dev.rollguard.alert.service.CohortPairing.HalfKey;
import dev.rollguard.schemas.Topics;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.event.AlertStatus;
import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.Exemplar;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.event.ScopeType;
import dev.rollguard.schemas.event.Severity;
import dev.rollguard.schemas.event.WindowKind;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import dev.rollguard.schemas.serde.AvroCodec;
import dev.rollguard.schemas.targeting.Rollouts;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.kafka.common.utils.Utils;

/**
 * Evaluates windows against the rules and records what changed.
 *
 * <p>State lives in memory for speed and in PostgreSQL for truth: each batch of windows is evaluated in memory, then
 * the changed rule states, the alert transitions (the outbox), their place in webhook notification groups and the
 * next offset of each partition are written in one transaction. A window at an offset below the stored position was
 * already evaluated and is skipped, so a redelivery after a crash neither loses nor repeats an alert. A write that
 * fails because the database is unavailable is retried until it succeeds; a batch holding windows that cannot be
 * evaluated or stored is stored without them ({@link BadWindowIsolator}), and they are dead-lettered. When a write
 * fails, memory is reloaded from the database before the next attempt.
 *
 * <p>Several instances share the partitions of {@code metrics.windows}. An instance claims the partitions it is
 * assigned in the database (owner and epoch, {@code partition_owners}), holds in memory only the state of those
 * partitions, and every write it makes (a batch, the no-data sweep, a retired rule, a flag leaving rollout) acts on
 * them alone and is fenced: it commits only while the instance still holds each of its partitions at the epoch it
 * claimed. A write that lost the race with a rebalance is rolled back, ownership and memory are read again, and a
 * batch is evaluated again without the records of the partitions that moved.
 */
@ApplicationScoped
public class RuleEvaluationService {

    private static final Duration RETRY_INITIAL_BACKOFF = Duration.ofMillis(100);
    private static final String RETIRED = "rule retired";
    private static final String CHANGED = "rule changed";
    private static final Duration RETRY_MAX_BACKOFF = Duration.ofSeconds(5);

    /** One consumed record: the window or why it cannot be evaluated, and its original bytes (null for tombstones). */
    public record WindowRecord(
            String topic,
            int partition,
            long offset,
            String key,
            WindowMetricsEvent window,
            String failure,
            byte[] raw) {

        /** This record, refused for {@code reason}: dead-lettered instead of evaluated. */
        public WindowRecord refused(String reason) {
            return new WindowRecord(topic, partition, offset, key, window, reason, raw);
        }
    }

    /** A record that cannot be evaluated, and why. */
    public record Rejected(WindowRecord record, String reason) {}

    /** What one batch did. */
    public record Outcome(int evaluated, int skipped, List<Rejected> rejected, int alerts) {

        /** The outcome of this part of a batch and the next part together. */
        public Outcome plus(Outcome next) {
            List<Rejected> both = new ArrayList<>(rejected);
            both.addAll(next.rejected);
            return new Outcome(evaluated + next.evaluated, skipped + next.skipped, both, alerts + next.alerts);
        }
    }

    /**
     * The state machine of one rule for one scope, with the scope it describes.
     *
     * @param ruleVersion the version of the rule under which the state left idle (null: stored before versions were)
     * @param ruleCreatedAt when that rule was created (null: stored before states carried it, or not known)
     * @param rule the rule's definition under which the state left idle, which its alerts are resolved under when the
     *     rule is deleted, disabled or changed (null: stored before states carried it, or idle)
     */
    public record Tracked(Scope scope, ScopeState state, Long ruleVersion, Instant ruleCreatedAt, RuleDefinition rule) {

        public Tracked(Scope scope, ScopeState state, Long ruleVersion, Instant ruleCreatedAt) {
            this(scope, state, ruleVersion, ruleCreatedAt, null);
        }

        /**
         * Whether the state started under a later definition than {@code known}, the rule as this instance last read
         * it: judged elsewhere after a change this instance has not read yet (a later version, or the rule created
         * again after the one it knows). Such a state waits for the next read of the rules.
         */
        boolean newerThan(RuleDefinition known) {
            if (ruleCreatedAt != null && known.createdAt() != null && !ruleCreatedAt.equals(known.createdAt())) {
                return ruleCreatedAt.isAfter(known.createdAt());
            }
            return ruleVersion != null && ruleVersion > known.version();
        }

        /**
         * Why the state must end, judged against {@code known} (the rule as last read, enabled or not; null when the
         * table held no such rule): "rule retired" for a rule deleted or disabled, "rule changed" for one whose
         * definition raises other alerts than the one the state was judged under; null when it stands.
         * {@code readAfterLoad} tells whether the rules were read after the state was: a rule missing from an earlier
         * read may have been created since. A state stored before states carried their definition is taken as judged
         * under the rule as it is now.
         */
        String endReason(RuleDefinition known, boolean readAfterLoad) {
            if (known == null) {
                return readAfterLoad ? RETIRED : null;
            }
            if (newerThan(known)) {
                return null;
            }
            if (!known.enabled()) {
                return RETIRED;
            }
            if (rule != null) {
                return rule.raisesTheSameAlertsAs(known) ? null : CHANGED;
            }
            // Stored without the definition it was judged under (by the release before states carried it): taken as
            // judged under the rule as it is now. A version apart may be an edit of annotations only, which must not
            // resolve and fire it again; the release that stored it ended it when its rule changed otherwise.
            return null;
        }

        /**
         * Whether the state started under {@code current}, the rule's definition as it is now. Versions of one rule
         * only grow, but a rule deleted and created again starts at 1 again, so its creation time tells the two
         * apart: a state of any other version (or of none, stored before versions were), or of the same version of
         * the rule as it was before it was deleted, started under a definition that is no longer the rule's.
         */
        boolean startedUnder(RuleDefinition current) {
            return ruleVersion != null
                    && ruleVersion == current.version()
                    && (ruleCreatedAt == null
                            || current.createdAt() == null
                            || ruleCreatedAt.equals(current.createdAt()));
        }
    }

    /** Changes of one batch, written together. */
    private static final class Changes {
        final Set<StateKey> dirty = new LinkedHashSet<>();
        final List<PendingAlert> alerts = new ArrayList<>();
        final Map<HalfKey, WindowMetricsEvent> halvesToStore = new LinkedHashMap<>();
        final Set<HalfKey> halvesToDelete = new LinkedHashSet<>();
        final Map<Integer, Long> positions = new HashMap<>();
        final Set<String> guardStages = new LinkedHashSet<>();
        /** States a window was judged by: an idle one is stored for the no-data sweep. */
        final Set<StateKey> seen = new LinkedHashSet<>();
        /** Idle states of scopes silent past the no-data horizon, forgotten. */
        final Set<StateKey> forgotten = new LinkedHashSet<>();
    }

    private final RuleBook ruleBook;
    private final EvaluationRepository repository;
    private final WebhookRegistry webhooks;
    private final DeadLetterPublisher deadLetters;
    private final ObjectMapper json;
    private final AlertConfig config;
    private final AlertStateMachine machine;
    private final AvroCodec<AlertEvent> alertCodec = AvroCodec.of(AlertEvent.class);
    private final AvroCodec<WindowMetricsEvent> windowCodec = AvroCodec.of(WindowMetricsEvent.class);
    private final SerialLane lane;
    private final StageExemplars stageExemplars = new StageExemplars();
    private final CompletableFuture<Void> rulesReady = new CompletableFuture<>();
    private final List<Consumer<List<StoredTransition>>> alertListeners = new CopyOnWriteArrayList<>();
    private final BadWindowIsolator isolator = new BadWindowIsolator(this::evaluateAndStore, this::reloadAfterFailure);

    // Touched inside the lane only.
    private final Map<StateKey, Tracked> states = new HashMap<>();
    private final Map<StateKey, Instant> lastSeen = new HashMap<>();
    /**
     * Per idle state, the last window end its stored watermark row holds: the row is written again only when the
     * state's levels change or its last window moved a quarter of the no-data horizon past it, not for every window.
     */
    private final Map<StateKey, Instant> storedWatermarks = new HashMap<>();

    private final Map<Integer, Long> positions = new HashMap<>();
    private final CohortPairing waiting = new CohortPairing();
    /** Partitions of metrics.windows this instance holds, with the epoch of its claim. */
    private final Map<Integer, Long> epochs = new HashMap<>();
    /** The partition of each rule state, as written by its windows (absent: stored before partitions were). */
    private final Map<StateKey, Integer> statePartitions = new HashMap<>();
    /** The partition of each flag's cohort windows (its guard evidence and waiting halves). */
    private final Map<String, Integer> flagPartitions = new HashMap<>();

    private int partitionCount;
    private final String instance;
    private final GuardEvaluator guard;
    private Instant latestWindowEnd = Instant.EPOCH;
    private boolean loaded;
    /** When memory was last read from the database. */
    private Instant loadedAt = Instant.EPOCH;

    private final Counter windowsEvaluated;
    private final Counter windowsSkipped;
    private final Counter windowsRejected;
    private final Counter databaseRetries;
    private final MeterRegistry meters;
    private final Timer batchTimer;

    public RuleEvaluationService(
            RuleBook ruleBook,
            EvaluationRepository repository,
            WebhookRegistry webhooks,
            DeadLetterPublisher deadLetters,
            ObjectMapper json,
            AlertConfig config,
            MeterRegistry meters,
            InstanceIdentity identity) {
        this.instance = identity.id();
        this.ruleBook = ruleBook;
        this.repository = repository;
        this.webhooks = webhooks;
        this.deadLetters = deadLetters;
        this.json = json;
        this.config = config;
        this.meters = meters;
        this.guard = new GuardEvaluator(json);
        // A task holding the lane this long had sweeps queued behind it, or could have made scopes look silent.
        Duration sweepInterval = config.evaluation().sweepInterval();
        Duration noDataAfter = config.evaluation().noDataAfter();
        this.lane = new SerialLane(
                sweepInterval.compareTo(noDataAfter) < 0 ? sweepInterval : noDataAfter, Clock.systemUTC());
        for (FlagStatus status : FlagStatus.values()) {
            Gauge.builder("rollguard.guard.flags", guard, g -> g.count(status))
                    .description("Flags under rollout by the guard's latest verdict on their stage")
                    .tag("status", status.name())
                    .register(meters);
        }
        this.machine = new AlertStateMachine(new FlapPolicy(
                config.evaluation().flapMaxFirings(), config.evaluation().flapWindow()));
        this.windowsEvaluated = Counter.builder("rollguard.alert.windows")
                .tag("outcome", "evaluated")
                .register(meters);
        this.windowsSkipped = Counter.builder("rollguard.alert.windows")
                .tag("outcome", "already-evaluated")
                .register(meters);
        this.windowsRejected = Counter.builder("rollguard.alert.windows")
                .tag("outcome", "dead-lettered")
                .register(meters);
        this.databaseRetries = Counter.builder("rollguard.alert.database.retries")
                .description("Batch writes and state reads retried while the database was unavailable")
                .register(meters);
        this.batchTimer = Timer.builder("rollguard.alert.batch.duration")
                .description("Evaluation and transaction of one batch of windows")
                .register(meters);
    }

    /** Called once the rules are loaded: windows wait for it instead of being judged against no rules. */
    public void rulesLoaded() {
        rulesReady.complete(null);
    }

    /**
     * Hands the transitions of every write that stored alerts to {@code listener}, in stored order, right after the
     * commit and before the next write (the outbox relay, SSE, webhooks).
     */
    public void onAlertsStored(Consumer<List<StoredTransition>> listener) {
        alertListeners.add(listener);
    }

    /** Evaluates one batch of consumed records, in order. */
    public Uni<Outcome> process(List<WindowRecord> records) {
        return Uni.createFrom()
                .completionStage(rulesReady)
                .chain(() -> lane.submit(() -> ensureLoadedOnceAvailable().chain(() -> evaluate(records))));
    }

    /**
     * Forgets everything held in memory and reads it back from the database, as a restarted instance would (and as
     * this one does after a failed write or a partition reassignment).
     */
    public Uni<Void> reload() {
        return lane.submit(() -> {
            loaded = false;
            return ensureLoaded().chain(this::reconcileHeld).replaceWithVoid();
        });
    }

    /**
     * Partitions of {@code metrics.windows} were assigned to this instance: it claims them in the database (a write of
     * their previous owner still in progress finishes first, later ones are refused), then reads their state. Queued on
     * the lane ahead of the records of these partitions.
     */
    public Uni<Void> assigned(Collection<Integer> partitions, int partitionsOfTopic) {
        List<Integer> claimed = List.copyOf(partitions);
        return lane.submit(() -> Uni.createFrom()
                .deferred(() -> repository.claim(Topics.METRICS_WINDOWS, instance, claimed))
                .onFailure()
                .invoke(failure -> {
                    databaseRetries.increment();
                    Log.warnf("partitions %s cannot be claimed yet, retrying: %s", claimed, failure.getMessage());
                })
                .onFailure()
                .retry()
                .withBackOff(RETRY_INITIAL_BACKOFF, RETRY_MAX_BACKOFF)
                .indefinitely()
                .chain(epochsOfClaim -> {
                    epochs.putAll(epochsOfClaim);
                    partitionCount = Math.max(partitionCount, partitionsOfTopic);
                    loaded = false;
                    Log.infof("%s holds partitions %s of %s", instance, epochs.keySet(), Topics.METRICS_WINDOWS);
                    return ensureLoadedOnceAvailable()
                            .chain(this::reconcileHeld)
                            .onFailure()
                            .recoverWithItem(failure -> {
                                Log.warnf("states of %s not reconciled with the rules yet: %s", claimed, failure);
                                return 0;
                            })
                            .replaceWithVoid();
                }));
    }

    /**
     * Partitions were revoked (or lost): their state is dropped and nothing this instance does from now on acts on
     * them; a write already under way is fenced by the next owner's claim.
     */
    public Uni<Void> revoked(Collection<Integer> partitions) {
        return lane.submit(() -> {
            if (epochs.keySet().removeAll(partitions)) {
                loaded = false;
                Log.infof("%s released partitions %s of %s", instance, partitions, Topics.METRICS_WINDOWS);
            }
            return Uni.createFrom().voidItem();
        });
    }

    /** The partitions of {@code metrics.windows} this instance holds now. */
    public Uni<Set<Integer>> heldPartitions() {
        return lane.submit(() -> Uni.createFrom().item(Set.copyOf(epochs.keySet())));
    }

    /** Applies the no-data policies to scopes that went silent and forgets cohort windows that found no partner. */
    public Uni<Integer> sweep() {
        return sweep(Instant::now);
    }

    /** {@link #sweep()} at the time {@code now} tells (a test's clock). */
    public Uni<Integer> sweep(Instant now) {
        return sweep(() -> now);
    }

    /**
     * Sweeps are coalesced: while one waits for the lane (a batch waiting for the database), a later request joins
     * it, and it runs at the time it starts, not the time it was scheduled at.
     */
    private Uni<Integer> sweep(Supplier<Instant> clock) {
        return Uni.createFrom()
                .completionStage(rulesReady)
                .chain(() -> lane.submitCoalesced(clock, now -> ensureLoaded().chain(() -> silence(now))));
    }

    /**
     * Ends a rule that was deleted or disabled: its announced alerts are resolved ("rule retired") and its states
     * forgotten, whatever version started them, so no alert stays firing for a rule that no longer exists. Unless the
     * rule is enabled again by the time this runs (disabled and enabled within one sync interval, or created again
     * after its deletion): what the rule as it is now started since (a window judged under it) is left as it is,
     * without an extra resolution and firing; every state of an earlier version still ends.
     */
    public Uni<Integer> retire(RuleDefinition rule) {
        return end(rule, RETIRED, tracked -> {
            // Read on the lane, where states start: a state of the current version started under this definition.
            RuleDefinition current = ruleBook.rule(rule.id());
            return current == null || !tracked.startedUnder(current);
        });
    }

    /**
     * Reconciles the pending and firing states of the partitions held with the rules as last read, the way a
     * controller reconciles what is with what should be: a state of a rule deleted or disabled since ends ("rule
     * retired"), and one judged under a definition that raises other alerts than the rule as it is now ends ("rule
     * changed"), each resolved under the definition it was judged under, as {@link #retire} does. Runs after every
     * read of the rules and on every assignment of partitions; a state whose write failed or was fenced is still
     * stored, so the next pass (here, or on the partition's next owner) ends it. A state judged under a later
     * definition than the one read here (another instance read it first) waits for the next read.
     */
    public Uni<Integer> reconcile() {
        return lane.submit(() -> ensureLoaded().chain(this::reconcileHeld));
    }

    /** {@link #reconcile()}, inside the lane. */
    private Uni<Integer> reconcileHeld() {
        if (!rulesReady.isDone() || ruleBook.readAt() == null) {
            // Before the rules are read every state would look retired.
            return Uni.createFrom().item(0);
        }
        boolean readAfterLoad = ruleBook.readAt().isAfter(loadedAt);
        Instant now = Instant.now();
        Changes changes = new Changes();
        for (Map.Entry<StateKey, Tracked> entry : List.copyOf(states.entrySet())) {
            StateKey key = entry.getKey();
            Tracked tracked = entry.getValue();
            if (tracked.state().idle() || !owns(statePartitions.get(key))) {
                continue;
            }
            RuleDefinition known = ruleBook.known(key.ruleId());
            String reason = tracked.endReason(known, readAfterLoad);
            if (reason != null) {
                RuleDefinition under = tracked.rule() != null ? tracked.rule() : known;
                if (under == null) {
                    // Stored before states carried their definition, of a rule deleted since: nothing to resolve under.
                    Log.warnf(
                            "state of deleted rule %s on %s forgotten without a resolution: stored by an earlier"
                                    + " version without its rule's definition",
                            key.ruleId(), key.scopeKey());
                    states.put(key, new Tracked(tracked.scope(), ScopeState.INITIAL, null, null));
                    changes.dirty.add(key);
                    lastSeen.remove(key);
                } else {
                    resolveAll(changes, under, key, tracked, reason, now);
                }
            } else if (tracked.rule() == null && known != null) {
                // Stored before states carried their definition: taken as the rule's current one.
                states.put(
                        key,
                        new Tracked(
                                tracked.scope(),
                                tracked.state(),
                                tracked.ruleVersion(),
                                tracked.ruleCreatedAt(),
                                known));
                changes.dirty.add(key);
            }
        }
        return write(changes, Topics.METRICS_WINDOWS, now);
    }

    private Uni<Integer> end(RuleDefinition rule, String reason, Predicate<Tracked> which) {
        return lane.submit(() -> ensureLoaded().chain(() -> {
            Instant now = Instant.now();
            Changes changes = new Changes();
            for (Map.Entry<StateKey, Tracked> entry : List.copyOf(states.entrySet())) {
                if (entry.getKey().ruleId().equals(rule.id())
                        && owns(statePartitions.get(entry.getKey()))
                        && which.test(entry.getValue())) {
                    resolveAll(changes, rule, entry.getKey(), entry.getValue(), reason, now);
                }
            }
            return write(changes, Topics.METRICS_WINDOWS, now);
        }));
    }

    /** A copy of the state of one rule for one scope as held in memory, or null. */
    public Uni<Tracked> state(String ruleId, String scopeKey) {
        return lane.submit(() -> ensureLoaded().map(x -> states.get(new StateKey(ruleId, scopeKey))));
    }

    private Uni<Void> ensureLoaded() {
        if (loaded) {
            return Uni.createFrom().voidItem();
        }
        List<Integer> held = List.copyOf(epochs.keySet());
        return repository
                .states(held)
                .chain(stored -> repository.positions(Topics.METRICS_WINDOWS).chain(storedPositions -> repository
                        .guardStages(held)
                        .invoke(guard::load)
                        .chain(() -> repository.flagPartitions(held))
                        .chain(storedFlags -> repository
                                .watermarks(held)
                                .chain(idle -> repository.cohortWindows(held).invoke(storedHalves -> {
                                    states.clear();
                                    lastSeen.clear();
                                    storedWatermarks.clear();
                                    positions.clear();
                                    waiting.clear();
                                    statePartitions.clear();
                                    flagPartitions.clear();
                                    flagPartitions.putAll(storedFlags);
                                    Instant now = Instant.now();
                                    loadedAt = now;
                                    // Silence is counted from now, for idle states as for the others.
                                    for (var row : idle) {
                                        restore(row, now);
                                        Instant end = states.get(new StateKey(row.ruleId(), row.scopeKey()))
                                                .state()
                                                .lastWindowEnd();
                                        if (end != null) {
                                            storedWatermarks.put(new StateKey(row.ruleId(), row.scopeKey()), end);
                                        }
                                    }
                                    for (var row : stored) {
                                        restore(row, now);
                                    }
                                    positions.putAll(storedPositions);
                                    for (CohortWindowRow half : storedHalves) {
                                        WindowMetricsEvent window = windowCodec.decode(half.payload());
                                        waiting.restore(window);
                                    }
                                    loaded = true;
                                    Log.infof(
                                            "evaluator loaded %d rule states (%d idle), %d waiting cohort"
                                                    + " windows, %d guarded stages of partitions %s",
                                            states.size(), idle.size(), waiting.size(), guard.size(), held);
                                })))))
                .replaceWithVoid();
    }

    /** Puts a stored state into memory; a pending or firing state, restored after its idle copy, replaces it. */
    private void restore(EvaluationRepository.StoredState row, Instant now) {
        StateKey key = new StateKey(row.ruleId(), row.scopeKey());
        states.put(key, read(row.json()));
        lastSeen.put(key, now);
        if (row.partition() != null) {
            statePartitions.put(key, row.partition());
        }
    }

    /** {@link #ensureLoaded()}, waiting for the database while it is unavailable. */
    private Uni<Void> ensureLoadedOnceAvailable() {
        return Uni.createFrom()
                .deferred(this::ensureLoaded)
                .onFailure()
                .invoke(failure -> {
                    databaseRetries.increment();
                    Log.warnf("evaluator state cannot be read, retrying: %s", failure.getMessage());
                })
                .onFailure()
                .retry()
                .withBackOff(RETRY_INITIAL_BACKOFF, RETRY_MAX_BACKOFF)
                .indefinitely();
    }

    private Uni<Void> reloadAfterFailure() {
        loaded = false;
        return ensureLoadedOnceAvailable();
    }

    private Uni<Outcome> evaluate(List<WindowRecord> records) {
        long started = System.nanoTime();
        return isolator.process(records).invoke(() -> batchTimer.record(Duration.ofNanos(System.nanoTime() - started)));
    }

    /** One attempt of {@link BadWindowIsolator}: evaluates the records and stores them in one transaction. */
    private Uni<Outcome> evaluateAndStore(List<WindowRecord> records, Set<WindowRecord> deadLettered) {
        Instant now = Instant.now();
        Changes changes = new Changes();
        List<Rejected> rejected = new ArrayList<>();
        int evaluated = 0;
        int skipped = 0;
        String topic = Topics.METRICS_WINDOWS;
        for (WindowRecord record : records) {
            topic = record.topic();
            // A partition revoked since the poll: its next owner evaluates the record.
            if (!epochs.containsKey(record.partition())
                    || record.offset() < positions.getOrDefault(record.partition(), 0L)) {
                skipped++;
                continue;
            }
            changes.positions.merge(record.partition(), record.offset() + 1, Math::max);
            String invalid = record.failure() != null ? record.failure() : invalid(record.window());
            if (invalid != null) {
                rejected.add(new Rejected(record, invalid));
                continue;
            }
            try {
                evaluateWindow(changes, record.window(), record.partition(), now);
            } catch (RuntimeException e) {
                // Memory may hold part of what this window changed: it is read back before the next attempt.
                loaded = false;
                return Uni.createFrom().failure(new BadWindowIsolator.WindowEvaluationException(record, e));
            }
            evaluated++;
        }
        int evaluatedCount = evaluated;
        int skippedCount = skipped;
        String batchTopic = topic;
        List<Rejected> unsent = rejected.stream()
                .filter(r -> !deadLettered.contains(r.record()))
                .toList();
        // Dead letters first: once the position is stored, these records are never read again.
        return deadLetters
                .send(unsent.stream()
                        .map(r -> new DeadLetterPublisher.DeadLetter(
                                r.record().topic(),
                                r.record().partition(),
                                r.record().offset(),
                                r.record().key(),
                                r.record().raw(),
                                r.reason()))
                        .toList())
                .invoke(() -> unsent.forEach(r -> deadLettered.add(r.record())))
                .chain(() -> store(changes, batchTopic))
                .map(stored -> {
                    positions.putAll(changes.positions);
                    windowsEvaluated.increment(evaluatedCount);
                    windowsSkipped.increment(skippedCount);
                    windowsRejected.increment(rejected.size());
                    return new Outcome(evaluatedCount, skippedCount, rejected, stored);
                })
                .onFailure(PartitionFencedException.class)
                .recoverWithUni(fenced -> {
                    Log.infof("a batch is evaluated again without the partitions that moved: %s", fenced.getMessage());
                    return refreshHeld()
                            .chain(this::ensureLoadedOnceAvailable)
                            .chain(() -> evaluateAndStore(records, deadLettered));
                });
    }

    /** Keeps of the partitions held those the database still says this instance holds at the same epoch. */
    private Uni<Void> refreshHeld() {
        return repository
                .held(Topics.METRICS_WINDOWS, instance)
                .invoke(current -> {
                    epochs.entrySet().removeIf(e -> !e.getValue().equals(current.get(e.getKey())));
                    loaded = false;
                    Log.infof("%s holds partitions %s of %s", instance, epochs.keySet(), Topics.METRICS_WINDOWS);
                })
                .replaceWithVoid();
    }

    /** Whether this instance acts on what belongs to {@code partition} (null: stored before partitions were). */
    private boolean owns(Integer partition) {
        if (partition == null) {
            // Only an instance holding every partition may act on state whose partition is not known.
            return partitionCount > 0 && epochs.size() >= partitionCount;
        }
        return epochs.containsKey(partition);
    }

    /**
     * The partition of a flag's cohort windows: where they were seen, or where the contract's key {@code flag:<key>}
     * lands with Kafka's default partitioner; null when not known.
     */
    private Integer flagPartition(String flagKey) {
        Integer partition = flagPartitions.get(flagKey);
        if (partition == null && partitionCount > 0) {
            byte[] key = ("flag:" + flagKey).getBytes(StandardCharsets.UTF_8);
            partition = Utils.toPositive(Utils.murmur2(key)) % partitionCount;
        }
        return partition;
    }

    /**
     * Whether an idle state's stored watermark is missing or a quarter of the no-data horizon behind its last window
     * end: after a restart the sweep counts silence from the load, and a no-data alert's start is told from the stored
     * end, so it is at most that much early.
     */
    private boolean watermarkBehind(StateKey key, Instant end) {
        Instant stored = storedWatermarks.get(key);
        return stored == null
                || Duration.between(stored, end)
                                .compareTo(config.evaluation().noDataAfter().dividedBy(4))
                        >= 0;
    }

    private Uni<Integer> silence(Instant now) {
        Changes changes = new Changes();
        Instant stalled = lane.stallEndedAt();
        Duration after = config.evaluation().noDataAfter();
        for (Map.Entry<StateKey, Tracked> entry : List.copyOf(states.entrySet())) {
            StateKey key = entry.getKey();
            if (!owns(statePartitions.get(key))) {
                continue;
            }
            Instant seen = lastSeen.getOrDefault(key, now);
            if (stalled != null && stalled.isAfter(seen)) {
                // While the lane was held (the database out), windows waited in Kafka: that was no silence.
                seen = stalled;
            }
            RuleDefinition rule = ruleBook.rule(key.ruleId());
            Tracked tracked = entry.getValue();
            if (tracked.state().lastWindowEnd() == null) {
                if (tracked.state().idle() && !lastSeen.containsKey(key)) {
                    // Started afresh by a retirement and not seen since: nothing left to remember.
                    states.remove(key);
                    statePartitions.remove(key);
                }
                continue;
            }
            if (Duration.between(seen, now).compareTo(after) < 0) {
                continue;
            }
            if (rule != null) {
                if (judgedUnder(changes, rule, key, tracked, now) != tracked) {
                    // Judged under a former definition: ended as changed, and the fresh state has seen no window.
                    continue;
                }
                if (tracked.state().idle()) {
                    // What leaves idle now belongs to the rule's current version, as a window's observation does.
                    tracked = new Tracked(tracked.scope(), tracked.state(), rule.version(), rule.createdAt(), rule);
                }
                Instant until = tracked.state().lastWindowEnd().plus(Duration.between(seen, now));
                apply(changes, rule, key, tracked, machine.silence(rule, tracked.state(), until), now, List.of());
            }
            if (tracked.state().idle() && states.get(key).state().idle() && !changes.dirty.contains(key)) {
                // Silent past the horizon with nothing pending or firing: the scope is gone, and so is its state.
                states.remove(key);
                lastSeen.remove(key);
                statePartitions.remove(key);
                changes.forgotten.add(key);
            }
        }
        long horizon = latestWindowEnd
                .minus(config.evaluation().cohortPairingRetention())
                .toEpochMilli();
        waiting.prune(horizon, flag -> owns(flagPartitions.get(flag)));
        return repository
                .pruneCohortWindows(horizon, List.copyOf(epochs.keySet()), owns(null))
                .chain(() -> write(changes, Topics.METRICS_WINDOWS, now));
    }

    private static String invalid(WindowMetricsEvent w) {
        if (w == null) {
            return "empty record (tombstone) where a WindowMetricsEvent was expected";
        }
        if (w.getScopeKey() == null || w.getScopeKey().isBlank()) {
            return "scopeKey is empty";
        }
        if (!w.getWindowEnd().isAfter(w.getWindowStart())) {
            return "windowEnd " + w.getWindowEnd() + " is not after windowStart " + w.getWindowStart();
        }
        if (w.getScopeType() == ScopeType.FLAG_COHORT && (w.getFlagKey() == null || w.getCohort() == null)) {
            return "a FLAG_COHORT window needs flagKey and cohort";
        }
        if (w.getEventCount() < 0 || w.getFailureCount() < 0 || w.getSuccessCount() < 0) {
            return "negative event counts";
        }
        return null;
    }

    private void evaluateWindow(Changes changes, WindowMetricsEvent w, int partition, Instant now) {
        if (w.getWindowEnd().isAfter(latestWindowEnd)) {
            latestWindowEnd = w.getWindowEnd();
        }
        Scope scope = scope(w);
        for (RuleDefinition rule : ruleBook.thresholdRules()) {
            if (matches(rule, w)) {
                step(
                        changes,
                        rule,
                        scope,
                        WindowFigures.observation(w, rule.metric()),
                        now,
                        w.getExemplars(),
                        partition);
            }
        }
        if (w.getScopeType() == ScopeType.FLAG_COHORT
                && !ruleBook.comparativeRules().isEmpty()) {
            flagPartitions.put(w.getFlagKey(), partition);
            pair(changes, w, partition, now);
        }
        if (w.getScopeType() == ScopeType.FLAG_COHORT
                && w.getWindowKind() == WindowKind.TUMBLING
                && !ruleBook.guardRules().isEmpty()) {
            flagPartitions.put(w.getFlagKey(), partition);
            stageExemplars.add(w);
            judgeStage(changes, w, partition, now);
        }
    }

    /**
     * Adds a flag cohort window to the guard's evidence of its stage; once a treated cohort and the control have come
     * this far, each guard rule judges the stage and its state machine sees the verdict. A flag with weighted variants
     * is judged per treated variant, each on its own scope ({@code flag:<key>:treatment:<variant>}), so a regression
     * of one variant fires an alert naming it (and the flag).
     */
    private void judgeStage(Changes changes, WindowMetricsEvent w, int partition, Instant now) {
        Long before = guard.stageVersion(w.getFlagKey());
        GuardEvaluator.Ready ready = guard.add(w, changes.guardStages);
        Long after = guard.stageVersion(w.getFlagKey());
        if (before != null && after != null && !after.equals(before)) {
            // A new stage (a promotion, or a revert to a smaller one that is still under rollout) is judged afresh:
            // an alert of the stage before resolves, so a regression of this one is a new alert that is acted on.
            // Only a stage known before: evidence this instance never had (nothing stored) ends nothing, so a
            // partition moved here does not resolve and fire again alerts that still hold.
            endGuardStates(changes, w.getFlagKey(), "stage ended: the flag moved to stage version " + after, now);
        }
        if (ready == null) {
            return;
        }
        StageEvidence stage = ready.stage();
        List<String> treated = new ArrayList<>();
        if (ready.plain()) {
            treated.add(null);
        }
        treated.addAll(ready.variants());
        for (RuleDefinition rule : ruleBook.guardRules()) {
            if (rule.scope().flagKey() != null && !rule.scope().flagKey().equals(w.getFlagKey())) {
                continue;
            }
            for (String variant : treated) {
                FlagVerdict verdict = variant == null
                        ? guard.judge(stage, rule, w.getWindowEnd().toEpochMilli())
                        : guard.judge(stage, variant, rule, w.getWindowEnd().toEpochMilli());
                step(
                        changes,
                        rule,
                        treatmentScope(w.getFlagKey(), variant),
                        GuardEvaluator.observation(w, verdict, stage.stageVersion()),
                        now,
                        stageExemplars.of(w.getFlagKey(), variant),
                        partition);
            }
        }
    }

    /** The scope of the guard's alerts on a treated cohort of a flag (a variant of a weighted flag, or null). */
    private static Scope treatmentScope(String flagKey, String variant) {
        return new Scope(
                ScopeType.FLAG_COHORT,
                GuardEvaluator.treatmentScopeKey(flagKey, variant),
                flagKey,
                Cohort.TREATMENT,
                null,
                null,
                variant);
    }

    /**
     * A rule level that is pending or firing on a scope of a flag.
     *
     * @param ruleName null when the rule is no longer loaded
     */
    public record ActiveLevel(
            String flagKey,
            String ruleId,
            String ruleName,
            String scopeKey,
            Cohort cohort,
            Severity severity,
            Phase phase) {}

    /**
     * Every rule level pending or firing on a scope that names a flag (its cohorts and the flag's own scopes), with
     * {@code flag} non-null that flag's alone. What holds a flag's automatic promotion: it must not move on while a
     * condition on it is breaching, even before the condition has lasted long enough to fire. The states of partitions
     * other instances hold are read from the database, so every instance answers for every flag.
     */
    public Uni<List<ActiveLevel>> activeLevels(String flag) {
        List<ActiveLevel> active = new ArrayList<>();
        return lane.submit(() -> ensureLoaded().map(x -> {
                    states.forEach((key, tracked) -> addLevels(active, key, tracked, flag));
                    return List.copyOf(epochs.keySet());
                }))
                .chain(held -> repository.statesOutside(held))
                .map(elsewhere -> {
                    for (var row : elsewhere) {
                        addLevels(active, new StateKey(row.ruleId(), row.scopeKey()), read(row.json()), flag);
                    }
                    return active;
                });
    }

    private void addLevels(List<ActiveLevel> active, StateKey key, Tracked tracked, String flag) {
        String flagKey = tracked.scope().flagKey();
        if (flagKey == null || flag != null && !flag.equals(flagKey)) {
            return;
        }
        RuleDefinition rule = ruleBook.rule(key.ruleId());
        String name = rule == null ? null : rule.name();
        for (Severity severity : List.of(Severity.CRITICAL, Severity.WARNING)) {
            Phase phase = tracked.state().level(severity).phase();
            if (phase != Phase.INACTIVE) {
                active.add(new ActiveLevel(
                        flagKey,
                        key.ruleId(),
                        name,
                        key.scopeKey(),
                        tracked.scope().cohort(),
                        severity,
                        phase));
            }
        }
    }

    /** The guard's latest verdict of every flag judged since this instance loaded its state. */
    public Uni<Map<String, GuardEvaluator.FlagGuard>> guardVerdicts() {
        return lane.submit(() -> ensureLoaded().map(x -> guard.latest()));
    }

    /**
     * Verdicts stored before a restart, as JSON, for the flags not judged since, and the stored verdicts of the flags
     * of partitions other instances hold.
     */
    public Uni<Map<String, String>> storedGuardVerdicts() {
        Map<String, String> verdicts = new HashMap<>();
        return lane.submit(() -> ensureLoaded().map(x -> {
                    verdicts.putAll(guard.storedVerdicts());
                    return List.copyOf(epochs.keySet());
                }))
                .chain(held -> repository.verdictsOutside(held))
                .map(elsewhere -> {
                    elsewhere.forEach(verdicts::putIfAbsent);
                    return verdicts;
                });
    }

    /**
     * A flag changed: when it is no longer under rollout (switched off, killed, at 0 % or 100 %, archived), its guard
     * evidence is dropped and its firing guard alerts resolve, with the change as the reason.
     */
    public Uni<Integer> flagChanged(FlagChangedEvent flag) {
        if (Rollouts.underRollout(flag) || "*".equals(flag.getFlagKey())) {
            return Uni.createFrom().item(0);
        }
        return lane.submit(() -> ensureLoaded().chain(() -> {
            // Every instance reads every change; the one holding the flag's partition acts on it.
            Integer partition = flagPartition(flag.getFlagKey());
            if (!owns(partition)) {
                return Uni.createFrom().item(0);
            }
            if (partition != null) {
                flagPartitions.put(flag.getFlagKey(), partition);
            }
            Instant now = Instant.now();
            Changes changes = new Changes();
            guard.end(flag.getFlagKey(), flag.getVersion(), changes.guardStages);
            String reason = "flag " + flag.getFlagKey() + " is no longer under rollout: " + describe(flag);
            endGuardStates(changes, flag.getFlagKey(), reason, now);
            return write(changes, Topics.METRICS_WINDOWS, now);
        }));
    }

    /**
     * Resolves the guard's alerts on a flag's scopes (its treatment, or each treated variant of a weighted flag) and
     * forgets their states: the stage they judged is over.
     */
    private void endGuardStates(Changes changes, String flagKey, String reason, Instant now) {
        for (RuleDefinition rule : ruleBook.guardRules()) {
            for (Map.Entry<StateKey, Tracked> entry : List.copyOf(states.entrySet())) {
                StateKey key = entry.getKey();
                Scope scope = entry.getValue().scope();
                if (key.ruleId().equals(rule.id())
                        && flagKey.equals(scope.flagKey())
                        && scope.cohort() == Cohort.TREATMENT
                        && key.scopeKey().equals(GuardEvaluator.treatmentScopeKey(scope.flagKey(), scope.variant()))) {
                    resolveAll(changes, rule, key, entry.getValue(), reason, now);
                }
            }
        }
    }

    private static String describe(FlagChangedEvent flag) {
        String what = flag.getKilled()
                ? "killed"
                : flag.getArchived()
                        ? "archived"
                        : !flag.getEnabled()
                                ? "switched off"
                                : "rolled out to " + flag.getRolloutBasisPoints() / 100.0 + " %";
        String why = flag.getKillReason() != null ? flag.getKillReason() : flag.getReason();
        return what + " by " + flag.getActor() + (why == null ? "" : " (" + why + ")");
    }

    /** Resolves every announced firing level of a rule's state and forgets the state. */
    private void resolveAll(
            Changes changes, RuleDefinition rule, StateKey key, Tracked tracked, String reason, Instant now) {
        Instant end = tracked.state().lastWindowEnd() != null ? tracked.state().lastWindowEnd() : now;
        for (var level : rule.levels()) {
            var levelState = tracked.state().level(level.severity());
            if (levelState.firing() && levelState.announced()) {
                // Never before the alert started: one the no-data sweep fired starts after the last window.
                Instant endsAt =
                        levelState.startsAt() != null && levelState.startsAt().isAfter(end)
                                ? levelState.startsAt()
                                : end;
                Transition resolved = new Transition(
                        level.severity(),
                        dev.rollguard.schemas.event.AlertStatus.RESOLVED,
                        levelState,
                        new Observation(endsAt, endsAt, null, null, null, 0, null),
                        levelState.startsAt(),
                        endsAt,
                        reason);
                changes.alerts.add(pending(rule, tracked.scope(), resolved, now, List.of()));
            }
        }
        states.put(key, new Tracked(tracked.scope(), ScopeState.INITIAL, null, null));
        changes.dirty.add(key);
        lastSeen.remove(key);
    }

    /**
     * Waits for the other cohort's window of the same flag and interval; once both are here, the comparative rules
     * compare them. Each treated variant of a flag with weighted variants is compared with the control on its own
     * scope ({@code flag:<key>:treatment:<variant>}), so each has its own state per rule and its alerts name it.
     */
    private void pair(Changes changes, WindowMetricsEvent w, int partition, Instant now) {
        CohortPairing.Added added = waiting.add(w);
        HalfKey mine = HalfKey.of(w);
        if (added.waits()) {
            changes.halvesToDelete.remove(mine);
            changes.halvesToStore.put(mine, w);
        }
        for (HalfKey released : added.released()) {
            if (changes.halvesToStore.remove(released) == null) {
                changes.halvesToDelete.add(released);
            }
        }
        for (CohortPairing.Pair pair : added.pairs()) {
            WindowMetricsEvent treatment = pair.treatment();
            Scope scope = scope(treatment);
            for (RuleDefinition rule : ruleBook.comparativeRules()) {
                if (matches(rule, treatment)) {
                    step(
                            changes,
                            rule,
                            scope,
                            WindowFigures.comparison(treatment, pair.control(), rule.metric()),
                            now,
                            treatment.getExemplars(),
                            partition);
                }
            }
        }
    }

    /** Shows a rule the observation; {@code exemplars} name the failed events behind it, for its alerts. */
    private void step(
            Changes changes,
            RuleDefinition rule,
            Scope scope,
            Observation observation,
            Instant now,
            List<Exemplar> exemplars,
            int partition) {
        StateKey key = new StateKey(rule.id(), scope.key());
        Tracked tracked = judgedUnder(changes, rule, key, states.get(key), now);
        if (tracked == null || tracked.state().idle()) {
            // What leaves idle now belongs to the rule's current version.
            tracked = new Tracked(
                    scope,
                    tracked == null ? ScopeState.INITIAL : tracked.state(),
                    rule.version(),
                    rule.createdAt(),
                    rule);
        }
        lastSeen.put(key, now);
        changes.seen.add(key);
        if (!Integer.valueOf(partition).equals(statePartitions.put(key, partition)) && states.containsKey(key)) {
            // A state stored before partitions were recorded gets its partition with its next write.
            changes.dirty.add(key);
        }
        apply(changes, rule, key, tracked, machine.observe(rule, tracked.state(), observation), now, exemplars);
    }

    /**
     * The state {@code rule}, as read last, is about to judge on {@code key}. A pending or firing state judged under a
     * definition of the rule that raises other alerts (the rules were read again and the reconciling pass that follows
     * has not run yet) is first ended as that pass ends it ("rule changed", resolved under the definition it was
     * judged under, in the same write as the judgment), and the fresh state is returned: no judgment ever holds the
     * former definition's state against the current one's thresholds.
     */
    private Tracked judgedUnder(Changes changes, RuleDefinition rule, StateKey key, Tracked tracked, Instant now) {
        if (tracked == null || tracked.state().idle() || !CHANGED.equals(tracked.endReason(rule, true))) {
            return tracked;
        }
        resolveAll(changes, tracked.rule(), key, tracked, CHANGED, now);
        return states.get(key);
    }

    private void apply(
            Changes changes,
            RuleDefinition rule,
            StateKey key,
            Tracked tracked,
            AlertStateMachine.Step step,
            Instant now,
            List<Exemplar> exemplars) {
        if (step.state() != tracked.state()) {
            states.put(
                    key,
                    new Tracked(
                            tracked.scope(),
                            step.state(),
                            tracked.ruleVersion(),
                            tracked.ruleCreatedAt(),
                            tracked.rule()));
            if (!step.state().sameLevels(tracked.state())) {
                changes.dirty.add(key);
            }
        }
        for (Transition transition : step.transitions()) {
            changes.alerts.add(pending(rule, tracked.scope(), transition, now, exemplars));
            // The flag label lets dashboards annotate a flag's charts (bounded by the flags; "none" for other scopes).
            meters.counter(
                            "rollguard.alert.transitions",
                            "status",
                            transition.status().name(),
                            "severity",
                            transition.severity().name(),
                            "flag",
                            tracked.scope().flagKey() == null
                                    ? "none"
                                    : tracked.scope().flagKey())
                    .increment();
        }
    }

    private PendingAlert pending(
            RuleDefinition rule, Scope scope, Transition transition, Instant now, List<Exemplar> exemplars) {
        AlertEvent event = AlertMapper.toEvent(rule, scope, transition, now);
        event.setExemplars(exemplars);
        List<PendingAlert.GroupEntry> notifications = new ArrayList<>();
        String alert = null;
        for (WebhookRegistry.Receiver receiver : webhooks.receivers()) {
            if (receiver.wants(event.getSeverity(), event.getLabels())) {
                if (alert == null) {
                    alert = toJson(WebhookPayload.alert(
                            event, new ConsoleLinks(config.webhooks().consoleUrl())));
                }
                GroupPolicy grouping = receiver.grouping();
                SortedMap<String, String> groupLabels = grouping.groupLabels(event.getLabels());
                String groupKey = GroupPolicy.groupKey(groupLabels);
                notifications.add(new PendingAlert.GroupEntry(
                        receiver.id(),
                        GroupPolicy.groupId(groupKey),
                        groupKey,
                        toJson(groupLabels),
                        grouping.firstFlushAt(now),
                        event.getStatus() == AlertStatus.FIRING,
                        alert));
            }
        }
        return new PendingAlert(event, toJson(AlertMapper.toView(event)), alertCodec.encode(event), notifications);
    }

    /**
     * Writes a batch's changes; a failure that says nothing about the data (the database unavailable) is retried
     * until the write succeeds, so no window is ever refused for it. A refusal of the data fails at once.
     */
    private Uni<Integer> store(Changes changes, String topic) {
        EvaluationWrite write = rows(changes, topic);
        if (write == null) {
            return Uni.createFrom().item(0);
        }
        return repository
                .write(write)
                .onFailure(
                        failure -> !DataErrors.isDataError(failure) && !(failure instanceof PartitionFencedException))
                .invoke(failure -> {
                    databaseRetries.increment();
                    Log.warnf("an evaluated batch cannot be stored yet, retrying: %s", failure.getMessage());
                })
                .onFailure(
                        failure -> !DataErrors.isDataError(failure) && !(failure instanceof PartitionFencedException))
                .retry()
                .withBackOff(RETRY_INITIAL_BACKOFF, RETRY_MAX_BACKOFF)
                .indefinitely()
                .onFailure()
                .invoke(() -> loaded = false)
                .map(stored -> announce(changes, stored));
    }

    /** Writes the changes of a sweep or a retired rule, retried a few times. */
    private Uni<Integer> write(Changes changes, String topic, Instant now) {
        EvaluationWrite write = rows(changes, topic);
        if (write == null) {
            return Uni.createFrom().item(0);
        }
        return repository
                .write(write)
                .onFailure(failure -> !(failure instanceof PartitionFencedException))
                .retry()
                .withBackOff(Duration.ofMillis(100), Duration.ofSeconds(2))
                .atMost(5)
                .onFailure(PartitionFencedException.class)
                .recoverWithUni(fenced -> {
                    // A rebalance moved a partition while this ran: its new owner acts on it.
                    Log.infof("evaluation changes dropped, a partition moved: %s", fenced.getMessage());
                    return refreshHeld().replaceWith(List.<EvaluationRepository.StoredAlert>of());
                })
                .onFailure()
                .invoke(failure -> {
                    // Memory ran ahead of the database: read it back before the next batch.
                    loaded = false;
                    Log.errorf(failure, "could not store evaluation changes; state is reloaded from the database");
                })
                .map(stored -> announce(changes, stored));
    }

    /** The rows of a write, or null when there is nothing to write. */
    private EvaluationWrite rows(Changes changes, String topic) {
        List<StateRow> upserts = new ArrayList<>();
        List<StateRow> deletes = new ArrayList<>();
        for (StateKey key : changes.dirty) {
            Tracked tracked = states.get(key);
            if (tracked.state().idle()) {
                deletes.add(new StateRow(key.ruleId(), key.scopeKey(), null, null));
            } else {
                upserts.add(new StateRow(key.ruleId(), key.scopeKey(), toJson(tracked), statePartitions.get(key)));
            }
        }
        List<WatermarkRow> watermarks = new ArrayList<>();
        List<StateRow> forgotten = new ArrayList<>();
        Set<StateKey> touched = new LinkedHashSet<>(changes.seen);
        touched.addAll(changes.dirty);
        for (StateKey key : touched) {
            Tracked tracked = states.get(key);
            if (tracked == null || !tracked.state().idle()) {
                continue;
            }
            Instant end = tracked.state().lastWindowEnd();
            if (end == null) {
                // Started afresh (its rule retired or changed): nothing for the sweep.
                forgotten.add(new StateRow(key.ruleId(), key.scopeKey(), null, null));
                storedWatermarks.remove(key);
            } else if (changes.dirty.contains(key) || watermarkBehind(key, end)) {
                storedWatermarks.put(key, end);
                watermarks.add(new WatermarkRow(
                        key.ruleId(),
                        key.scopeKey(),
                        // An idle state needs no rule version or definition: what leaves idle takes the rule's.
                        toJson(new Tracked(tracked.scope(), tracked.state(), null, null)),
                        tracked.state().lastWindowEnd(),
                        statePartitions.get(key)));
            }
        }
        changes.forgotten.forEach(key -> {
            forgotten.add(new StateRow(key.ruleId(), key.scopeKey(), null, null));
            storedWatermarks.remove(key);
        });
        List<CohortWindowRow> store = new ArrayList<>();
        changes.halvesToStore.forEach((half, window) -> store.add(half.row(windowCodec.encode(window))));
        List<CohortWindowRow> delete =
                changes.halvesToDelete.stream().map(half -> half.row(null)).toList();
        Map<String, Integer> flags = new HashMap<>();
        changes.halvesToStore.keySet().forEach(half -> flags.put(half.flagKey(), flagPartitions.get(half.flagKey())));
        changes.guardStages.forEach(flag -> flags.put(flag, flagPartitions.get(flag)));
        EvaluationWrite write = new EvaluationWrite(
                upserts,
                deletes,
                changes.alerts,
                store,
                delete,
                topic,
                changes.positions,
                guard.rows(changes.guardStages),
                flags,
                new Fence(instance, Map.copyOf(epochs)),
                watermarks,
                forgotten);
        if (write.touchesNothingButPositions() && write.positions().isEmpty()) {
            return null;
        }
        return write;
    }

    /** Hands the committed transitions to the listeners; returns how many there are. */
    private int announce(Changes changes, List<EvaluationRepository.StoredAlert> stored) {
        if (!stored.isEmpty()) {
            Map<String, AlertEvent> events = new HashMap<>();
            changes.alerts.forEach(alert -> events.put(alert.event().getAlertId(), alert.event()));
            List<StoredTransition> transitions = stored.stream()
                    .map(alert -> new StoredTransition(alert.seq(), events.get(alert.alertId()), alert.behind()))
                    .toList();
            alertListeners.forEach(listener -> listener.accept(transitions));
        }
        return stored.size();
    }

    private static Scope scope(WindowMetricsEvent w) {
        return new Scope(
                w.getScopeType(),
                w.getScopeKey(),
                w.getFlagKey(),
                w.getCohort(),
                w.getTable(),
                w.getPlatform(),
                w.getVariant());
    }

    private static boolean matches(RuleDefinition rule, WindowMetricsEvent w) {
        return rule.scope()
                .matches(
                        w.getScopeType(),
                        w.getFlagKey(),
                        w.getCohort(),
                        w.getTable(),
                        w.getPlatform(),
                        w.getWindowKind());
    }

    private String toJson(Object value) {
        try {
            return json.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(
                    "cannot serialize " + value.getClass().getSimpleName(), e);
        }
    }

    private Tracked read(String value) {
        try {
            return json.readValue(value, Tracked.class);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored rule state is unreadable: " + e.getMessage(), e);
        }
    }
}
