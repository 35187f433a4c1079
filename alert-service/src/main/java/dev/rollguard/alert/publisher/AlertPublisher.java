package dev.rollguard.alert.publisher;

import dev.rollguard.alert.config.AlertConfig;
import dev.rollguard.alert.config.InstanceIdentity;
import dev.rollguard.alert.domain.StoredTransition;
import dev.rollguard.alert.repository.AlertRepository;
import dev.rollguard.alert.repository.AlertRepository.OutboxRow;
import dev.rollguard.alert.repository.AlertRepository.Parked;
import dev.rollguard.alert.repository.AlertRepository.Relayed;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.serde.AvroCodec;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.KafkaRecord;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.SerializationException;
import org.eclipse.microprofile.reactive.messaging.Channel;

/**
 * The outbox relay: publishes stored alert transitions to the {@code alerts} topic, keyed by fingerprint, in the
 * order they were stored, and marks them published once Kafka acknowledged them.
 *
 * <p>Two paths lead to Kafka. Right after a commit, the evaluator hands over the transitions it just stored and they
 * are sent at once, without reading them back ({@link #publishStored}); this is the path every alert takes while all
 * is well. A poll of the outbox ({@link #kick}: at start, on a timer, after a failed send) publishes whatever is
 * still unpublished: transitions of a crashed instance, or of a commit whose acknowledgement was lost. While a poll
 * is due or running, transitions handed over are left to it, so the topic keeps the stored order; a transition is
 * never sent by both paths while it is waiting for Kafka. A crash between the send and the mark republishes the same
 * transitions with the same alert ids, which consumers deduplicate.
 *
 * <p>One fingerprint's transitions reach Kafka in the order they were stored, whichever instance stored them: a
 * transition is not sent while an earlier one of its fingerprint is unpublished and not already on its way from this
 * instance. A commit behind such a transition (another instance stored it, and perhaps crashed before publishing it) is
 * left to the poll, and the poll holds a transition back, with the later ones of its fingerprint, until the earlier
 * ones are published (by their instance, or by this poll once it may take them over). Within this instance one
 * fingerprint's sends go one after the other ({@link #inOrder}), since the connector tries a send that failed for now
 * again on its own, after a backoff that a later send would not wait for.
 *
 * <p>With several instances, the poll takes the transitions this instance stored, those no instance stored (alerts
 * received from outside) and, after {@code relay.takeover-after}, those another instance stored and never published
 * (it crashed); it locks what it takes, so two polls never send the same transition.
 *
 * <p>A transition Kafka refuses for good ({@link #refusal}: a record larger than the topic takes, a topic name Kafka
 * cannot have, a producer not authorized to write, a record that cannot be serialized) would hold its fingerprint's
 * later transitions forever: the poll parks it (stored with its reason and time, never sent again, no longer waited
 * for), counts it in {@code rollguard.alert.outbox.parked{reason}}, logs it once at ERROR, and the later transitions
 * are published in their order. Any other failure (Kafka away, a timeout, too few in-sync replicas) holds the
 * fingerprint's transitions until the transition is published.
 */
@ApplicationScoped
public class AlertPublisher {

    public static final String CHANNEL = "alerts-out";

    /** The reasons a transition is parked for, one per kind of refusal (the tag of the parked counter). */
    public static final List<String> PARK_REASONS =
            List.of("too-large", "invalid-topic", "not-authorized", "serialization", "invalid-record");

    private final MutinyEmitter<AlertEvent> emitter;
    private final AlertRepository alerts;
    private final AlertConfig config;
    private final String instance;
    private final AvroCodec<AlertEvent> codec = AvroCodec.of(AlertEvent.class);
    private final Counter afterCommit;
    private final Counter polled;
    private final Map<String, Counter> parked = new LinkedHashMap<>();

    // Guarded by this.
    private boolean caughtUp;
    private boolean polling;
    private boolean pollAgain;
    private long polledUpTo;
    private final Set<Long> unmarked = new HashSet<>();
    private final List<Long> toMark = new ArrayList<>();
    private boolean marking;
    /** Fingerprints whose transitions the last complete poll held back behind earlier unpublished ones. */
    private Set<String> heldBack = Set.of();
    /** Fingerprints held back by the rounds of the poll under way. */
    private final Set<String> holding = new HashSet<>();
    /** Per fingerprint, the last send after a commit that is waiting for Kafka's answer. */
    private final Map<String, Uni<Optional<Throwable>>> inFlight = new HashMap<>();

    public AlertPublisher(
            @Channel(CHANNEL) MutinyEmitter<AlertEvent> emitter,
            AlertRepository alerts,
            AlertConfig config,
            MeterRegistry meters,
            InstanceIdentity identity) {
        this.instance = identity.id();
        this.emitter = emitter;
        this.alerts = alerts;
        this.config = config;
        this.afterCommit = Counter.builder("rollguard.alert.relay.published")
                .description("Alert transitions sent to Kafka, by the path that sent them")
                .tag("path", "after-commit")
                .register(meters);
        this.polled = Counter.builder("rollguard.alert.relay.published")
                .description("Alert transitions sent to Kafka, by the path that sent them")
                .tag("path", "poll")
                .register(meters);
        for (String reason : PARK_REASONS) {
            parked.put(
                    reason,
                    Counter.builder("rollguard.alert.outbox.parked")
                            .description("Alert transitions Kafka refused for good, parked and never sent again")
                            .tag("reason", reason)
                            .register(meters));
        }
    }

    /**
     * The reason to park a transition whose send failed this way, or null when a later attempt may succeed (Kafka
     * away, a timeout, too few in-sync replicas, a producer being fenced or closed): such a failure holds the order.
     * Only a refusal of the record itself, which no attempt gets past, parks it.
     */
    static String refusal(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof RetriableException) {
                return null;
            }
            if (cause instanceof RecordTooLargeException || cause instanceof RecordBatchTooLargeException) {
                return "too-large";
            }
            if (cause instanceof InvalidTopicException) {
                return "invalid-topic";
            }
            if (cause instanceof AuthorizationException) {
                return "not-authorized";
            }
            if (cause instanceof SerializationException) {
                return "serialization";
            }
            if (cause instanceof InvalidRecordException) {
                return "invalid-record";
            }
        }
        return null;
    }

    /**
     * Sends transitions the evaluator has just committed, in the order given (the stored order). Called on the
     * evaluator's lane, one commit at a time; when a poll is due or running they are left to it.
     */
    public void publishStored(List<StoredTransition> stored) {
        List<StoredTransition> toSend = new ArrayList<>(stored.size());
        List<Long> seqs = new ArrayList<>(stored.size());
        List<String> fingerprints = new ArrayList<>(stored.size());
        synchronized (this) {
            if (!caughtUp || polling || stored.stream().anyMatch(this::waitsForEarlier)) {
                pollAgain = true;
                startPoll();
                return;
            }
            for (StoredTransition transition : stored) {
                // A poll that ran between the commit and this call has sent it already.
                if (transition.seq() > polledUpTo && unmarked.add(transition.seq())) {
                    seqs.add(transition.seq());
                    toSend.add(transition);
                    fingerprints.add(transition.event().getFingerprint());
                }
            }
            if (toSend.isEmpty()) {
                return;
            }
            // Behind the sends of earlier commits of the same fingerprints that are still waiting for Kafka.
            Map<String, Uni<Optional<Throwable>>> last = new HashMap<>(inFlight);
            List<Uni<Optional<Throwable>>> sends = inOrder(
                    toSend,
                    transition -> transition.event().getFingerprint(),
                    transition -> send(transition.event().getFingerprint(), transition.event()),
                    last);
            Map<String, Uni<Optional<Throwable>>> mine = new HashMap<>();
            fingerprints.forEach(fingerprint -> mine.put(fingerprint, last.get(fingerprint)));
            inFlight.putAll(mine);
            // Subscribed here, in order, so no other send overtakes these.
            Uni.join().all(sends).andFailFast().subscribe().with(outcomes -> {
                Throwable failure =
                        outcomes.stream().flatMap(Optional::stream).findFirst().orElse(null);
                if (failure == null) {
                    landed(mine);
                    sent(seqs);
                } else {
                    failed(seqs, failure, mine);
                }
            });
        }
    }

    /** The after-commit sends of a commit have their answers; a later commit's may still wait. */
    private synchronized void landed(Map<String, Uni<Optional<Throwable>>> lastOfCommit) {
        lastOfCommit.forEach(inFlight::remove);
    }

    /**
     * The sends of {@code items}, in their order, each behind the last send of its fingerprint in {@code last} (which
     * it updates), each answering the failure that stopped it (empty when Kafka acknowledged it). One fingerprint's
     * sends go one after the other: the next is sent once Kafka acknowledged the one before, or refused it for good;
     * after any other failure it is not sent at all ({@link HeldBehind}). Kafka keeps the order of the sends it is
     * given, but the connector tries a send that failed for now again on its own after a backoff, by which time a
     * later send may have gone through.
     */
    private <T> List<Uni<Optional<Throwable>>> inOrder(
            List<T> items,
            Function<T, String> fingerprintOf,
            Function<T, Uni<Void>> sendOf,
            Map<String, Uni<Optional<Throwable>>> last) {
        List<Uni<Optional<Throwable>>> outcomes = new ArrayList<>(items.size());
        for (T item : items) {
            Uni<Optional<Throwable>> own = Uni.createFrom()
                    .deferred(() -> sendOf.apply(item))
                    .replaceWith(Optional.<Throwable>empty())
                    .onFailure()
                    .recoverWithItem(Optional::of);
            Uni<Optional<Throwable>> before = last.get(fingerprintOf.apply(item));
            Uni<Optional<Throwable>> outcome = (before == null
                            ? own
                            : before.chain(earlier -> earlier.isEmpty() || refusal(earlier.get()) != null
                                    ? own
                                    : Uni.createFrom().item(Optional.<Throwable>of(new HeldBehind()))))
                    .memoize()
                    .indefinitely();
            last.put(fingerprintOf.apply(item), outcome);
            outcomes.add(outcome);
        }
        return outcomes;
    }

    /** A transition not sent because an earlier one of its fingerprint was not acknowledged: it waits for that one. */
    static final class HeldBehind extends RuntimeException {
        HeldBehind() {
            super("an earlier transition of its fingerprint is not published yet", null, false, false);
        }
    }

    /** Whether an earlier transition of its fingerprint must reach Kafka first: the poll sends them in order. */
    private boolean waitsForEarlier(StoredTransition transition) {
        return transition.behind() || heldBack.contains(transition.event().getFingerprint());
    }

    /** Polls the outbox for unpublished transitions (at start, on a timer, after a failure). */
    public void kick() {
        synchronized (this) {
            pollAgain = true;
            startPoll();
        }
    }

    private Uni<Void> send(String fingerprint, AlertEvent event) {
        return emitter.sendMessage(KafkaRecord.of(fingerprint, event));
    }

    private void sent(List<Long> seqs) {
        afterCommit.increment(seqs.size());
        synchronized (this) {
            toMark.addAll(seqs);
            if (marking) {
                return;
            }
            marking = true;
        }
        markRound();
    }

    private void failed(List<Long> seqs, Throwable failure, Map<String, Uni<Optional<Throwable>>> lastOfCommit) {
        Log.warnf("alerts not published yet, the outbox poll takes over: %s", failure.getMessage());
        synchronized (this) {
            lastOfCommit.forEach(inFlight::remove);
            // Nothing is sent after commits until a poll has republished everything unacknowledged, in order.
            caughtUp = false;
            seqs.forEach(unmarked::remove);
            pollAgain = true;
            startPoll();
        }
    }

    /** Marks acknowledged transitions published, all that are waiting in one statement. */
    private void markRound() {
        List<Long> batch;
        synchronized (this) {
            if (toMark.isEmpty()) {
                marking = false;
                return;
            }
            batch = List.copyOf(toMark);
            toMark.clear();
        }
        alerts.markPublished(batch)
                .subscribe()
                .with(
                        ignored -> {
                            synchronized (this) {
                                batch.forEach(unmarked::remove);
                            }
                            markRound();
                        },
                        failure -> {
                            // Kept as sent: the next acknowledgement or poll tries the mark again.
                            Log.warnf("published alerts not marked yet: %s", failure.getMessage());
                            synchronized (this) {
                                toMark.addAll(batch);
                                marking = false;
                                pollAgain = true;
                            }
                        });
    }

    private void startPoll() {
        if (!polling && pollAgain) {
            polling = true;
            pollAgain = false;
            if (!toMark.isEmpty() && !marking) {
                marking = true;
                markRound();
            }
            pollRound();
        }
    }

    private void pollRound() {
        int limit = config.relay().batchSize();
        int[] sent = new int[1];
        List<Parked> parkedNow = new ArrayList<>();
        Throwable[] held = new Throwable[1];
        alerts.relay(instance, config.relay().takeoverAfter(), limit, round -> {
                    List<OutboxRow> rows = round.rows();
                    List<OutboxRow> toSend = new ArrayList<>();
                    synchronized (this) {
                        Set<String> blocked = new HashSet<>();
                        for (OutboxRow row : rows) {
                            // Transitions sent after their commit and waiting for Kafka or their mark are not sent
                            // again.
                            if (unmarked.contains(row.seq())) {
                                continue;
                            }
                            // Nor are those of a fingerprint with a send after a commit still waiting for Kafka: that
                            // send may be tried again and must land first.
                            if (blocked.contains(row.fingerprint())
                                    || inFlight.containsKey(row.fingerprint())
                                    || round.untaken().getOrDefault(row.fingerprint(), List.of()).stream()
                                            .anyMatch(seq -> seq < row.seq() && !unmarked.contains(seq))) {
                                blocked.add(row.fingerprint());
                                continue;
                            }
                            toSend.add(row);
                        }
                        holding.addAll(blocked);
                        if (!rows.isEmpty()) {
                            polledUpTo = Math.max(
                                    polledUpTo, rows.get(rows.size() - 1).seq());
                        }
                    }
                    sent[0] = toSend.size();
                    return toSend.isEmpty()
                            ? Uni.createFrom().item(new Relayed(List.of(), List.of()))
                            : publish(toSend).map(relayed -> {
                                parkedNow.addAll(relayed.relayed().parked());
                                held[0] = relayed.held();
                                return relayed.relayed();
                            });
                })
                .subscribe()
                .with(
                        rows -> {
                            parkedNow.forEach(this::reportParked);
                            if (held[0] != null) {
                                // Refused for now, not for good: the timer polls again, and sends what is left in
                                // order.
                                notPublished(held[0]);
                                return;
                            }
                            synchronized (this) {
                                polling = false;
                                if (rows.size() < limit) {
                                    caughtUp = true;
                                    heldBack = Set.copyOf(holding);
                                    holding.clear();
                                } else if (sent[0] > 0) {
                                    pollAgain = true;
                                } else {
                                    // A full round held back: the timer polls again once earlier ones are published.
                                    caughtUp = false;
                                    heldBack = Set.copyOf(holding);
                                    holding.clear();
                                }
                                startPoll();
                            }
                        },
                        this::notPublished);
    }

    /** The poll round failed: the timer polls again; looping here would spin while Kafka or the database is away. */
    private void notPublished(Throwable failure) {
        Log.warnf("alerts not published yet: %s", failure.getMessage());
        synchronized (this) {
            polling = false;
            caughtUp = false;
            holding.clear();
        }
    }

    private void reportParked(Parked transition) {
        parked.get(transition.reason()).increment();
        Log.errorf(
                "alert transition parked, Kafka refused it for good (%s): fingerprint %s, alertId %s, seq %d: %s;"
                        + " it is never sent again and the later transitions of its fingerprint are published",
                transition.reason(),
                transition.fingerprint(),
                transition.alertId(),
                transition.seq(),
                transition.error());
    }

    /**
     * What a poll round's sends came to: what to mark and park, and the first failure that holds the order (null when
     * none did).
     */
    private record RoundOutcome(Relayed relayed, Throwable held) {}

    /**
     * Sends the rows in order and waits for every answer: those Kafka acknowledged are to be marked published, those
     * it refused for good to be parked, and the first failure for now, if any, is told (the timer polls again). An
     * acknowledged transition never follows one of its fingerprint that was not ({@link #inOrder}), so marking it
     * never lets a later poll send an earlier one after it.
     */
    private Uni<RoundOutcome> publish(List<OutboxRow> rows) {
        List<Uni<Optional<Throwable>>> sends = inOrder(
                rows,
                OutboxRow::fingerprint,
                row -> send(row.fingerprint(), codec.decode(row.avro())),
                new HashMap<>());
        return Uni.join().all(sends).andFailFast().map(outcomes -> {
            List<Long> acknowledged = new ArrayList<>();
            List<Parked> refused = new ArrayList<>();
            Throwable held = null;
            for (int i = 0; i < rows.size(); i++) {
                OutboxRow row = rows.get(i);
                Throwable failure = outcomes.get(i).orElse(null);
                if (failure == null) {
                    acknowledged.add(row.seq());
                    continue;
                }
                String reason = refusal(failure);
                if (reason != null) {
                    refused.add(
                            new Parked(row.seq(), row.alertId(), row.fingerprint(), reason, describe(failure, reason)));
                } else if (held == null) {
                    held = failure;
                }
            }
            polled.increment(acknowledged.size());
            return new RoundOutcome(new Relayed(acknowledged, refused), held);
        });
    }

    /** What Kafka said, kept with the parked transition. */
    private static String describe(Throwable failure, String reason) {
        String message = failure.getMessage();
        if (message == null || message.isBlank()) {
            return reason;
        }
        return message.length() > 2000 ? message.substring(0, 2000) : message;
    }
}
