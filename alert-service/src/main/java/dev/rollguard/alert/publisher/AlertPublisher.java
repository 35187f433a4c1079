package dev.rollguard.alert.publisher;

import dev.rollguard.alert.config.AlertConfig;
import dev.rollguard.alert.config.InstanceIdentity;
import dev.rollguard.alert.domain.StoredTransition;
import dev.rollguard.alert.repository.AlertRepository;
import dev.rollguard.alert.repository.AlertRepository.AlertRow;
import dev.rollguard.alert.repository.AlertRepository.DeadLetter;
import dev.rollguard.alert.repository.AlertRepository.Settled;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.serde.AvroCodec;
import dev.rollguard.schemas.serde.AvroDecodingException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.CompositeException;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

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
 * ones are published (by their instance, or by this poll once it may take them over).
 *
 * <p>With several instances, the poll takes the transitions this instance stored, those no instance stored (alerts
 * received from outside) and, after {@code relay.takeover-after}, those another instance stored and never published
 * (it crashed, or cannot reach the broker); it locks what it takes, so two polls never send the same transition.
 *
 * <p>Every record is sent once ({@link AlertSender}): a failure reaches {@link #failed} or ends the poll round, and
 * only a poll sends the transition again. So a send ends within {@link AlertSender#longestSend}, which the takeover
 * outlasts: a transition is sent after its commit only while it is young enough for its send to end, a request still
 * on the wire included, before another instance may take it over. A poll round keeps its rows locked until each of its
 * sends has had its outcome, but not for the request timeout after a failed one: another instance taking such a row
 * over may publish it while this instance's request is still on the wire, and that copy (same alert id, which
 * consumers drop) may land after a later transition of its alert.
 *
 * <p>A transition that can never be sent ({@link RelayFailures#permanent}: Kafka refuses the record itself, or it
 * cannot be serialized, or its stored row is empty, not Avro or malformed) is dead-lettered by the poll round that
 * meets it: marked with its reason in the outbox table in the round's transaction, counted and logged once. It is not
 * a failure of the round, and it holds back neither the later transitions of its alert nor the sends after commit. A
 * send after commit that fails so is left to the poll like any failed send, and dead-lettered there. A row written
 * with a schema this release does not know (a newer release's, during a rolling upgrade or after a downgrade) is not:
 * it stays in the outbox for an instance that knows the schema, holds its alert's later transitions back, and is
 * logged once.
 */
@ApplicationScoped
public class AlertPublisher {

    private final AlertSender sender;
    private final AlertRepository alerts;
    private final AlertConfig config;
    private final String instance;
    private final AvroCodec<AlertEvent> codec = AvroCodec.of(AlertEvent.class);
    private final Counter afterCommit;
    private final Counter polled;
    private final Counter afterCommitFailed;
    private final Counter pollFailed;
    /** Dead-lettered transitions by cause: {@code refused}, {@code unserializable}, {@code undecodable}. */
    private final Map<String, Counter> deadLetters = new HashMap<>();

    // Guarded by this.
    private boolean caughtUp;
    private boolean polling;
    private boolean pollAgain;
    private long polledUpTo;
    /**
     * The transitions sent after their commit whose outcome, or mark, is not in yet: seq to fingerprint. While one is
     * here, a failure of its send may not have reached the relay, so the poll must not forget its alert's failures.
     */
    private final Map<Long, String> unmarked = new HashMap<>();

    private final List<Long> toMark = new ArrayList<>();
    private boolean marking;
    /** Fingerprints whose transitions the last complete poll held back behind earlier unpublished ones. */
    private Set<String> heldBack = Set.of();
    /** Fingerprints held back by the rounds of the poll under way. */
    private final Set<String> holding = new HashSet<>();
    /** Rows written with a schema this release does not know that a warning was logged for. */
    private final Set<Long> warnedUnknownSchema = new HashSet<>();

    public AlertPublisher(
            AlertSender sender,
            AlertRepository alerts,
            AlertConfig config,
            MeterRegistry meters,
            InstanceIdentity identity) {
        this.instance = identity.id();
        this.sender = sender;
        this.alerts = alerts;
        this.config = config;
        for (String cause : List.of(RelayFailures.REFUSED, RelayFailures.UNSERIALIZABLE, RelayFailures.UNDECODABLE)) {
            deadLetters.put(
                    cause,
                    Counter.builder("rollguard.alert.relay.dead.letters")
                            .description(
                                    "Alert transitions that can never be sent to Kafka, dead-lettered in the outbox"
                                            + " table, by cause")
                            .tag("cause", cause)
                            .register(meters));
        }
        this.afterCommit = Counter.builder("rollguard.alert.relay.published")
                .description("Alert transitions sent to Kafka, by the path that sent them")
                .tag("path", "after-commit")
                .register(meters);
        this.polled = Counter.builder("rollguard.alert.relay.published")
                .description("Alert transitions sent to Kafka, by the path that sent them")
                .tag("path", "poll")
                .register(meters);
        this.afterCommitFailed = Counter.builder("rollguard.alert.relay.failed")
                .description(
                        "Failed relays of alert transitions to Kafka (a commit's sends, a poll round), left to the poll")
                .tag("path", "after-commit")
                .register(meters);
        this.pollFailed = Counter.builder("rollguard.alert.relay.failed")
                .description(
                        "Failed relays of alert transitions to Kafka (a commit's sends, a poll round), left to the poll")
                .tag("path", "poll")
                .register(meters);
    }

    /**
     * Sends transitions the evaluator has just committed, in the order given (the stored order). Called on the
     * evaluator's lane, one commit at a time; when a poll is due or running, or a transition is too old for its send
     * to end before another instance may take it over, they are left to the poll.
     */
    public void publishStored(List<StoredTransition> stored) {
        List<Uni<Void>> sends = new ArrayList<>(stored.size());
        List<Long> seqs = new ArrayList<>(stored.size());
        Instant sendableSince = Instant.now().minus(sender.sendableFor());
        synchronized (this) {
            if (!caughtUp
                    || polling
                    || stored.stream()
                            .anyMatch(transition -> waitsForEarlier(transition)
                                    || transition.event().getEmittedAt().isBefore(sendableSince))) {
                pollAgain = true;
                startPoll();
                return;
            }
            for (StoredTransition transition : stored) {
                // A poll that ran between the commit and this call has sent it already.
                if (transition.seq() > polledUpTo
                        && unmarked.putIfAbsent(
                                        transition.seq(), transition.event().getFingerprint())
                                == null) {
                    seqs.add(transition.seq());
                    AlertEvent event = transition.event();
                    sends.add(sender.send(
                            event.getFingerprint(), event, event.getEmittedAt().plus(sender.sendableFor())));
                }
            }
            if (sends.isEmpty()) {
                return;
            }
            // Subscribed here, in order, so no other send overtakes these. Every send ends before the failure is
            // handled, so a poll never sends one of them while it is still on its way.
            Uni.join()
                    .all(sends)
                    .andCollectFailures()
                    .subscribe()
                    .with(ignored -> sent(seqs), failure -> failed(seqs, failure));
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

    private void failed(List<Long> seqs, Throwable failure) {
        afterCommitFailed.increment();
        Log.warnf("alerts not published yet, the outbox poll takes over: %s", describe(failure));
        synchronized (this) {
            // Nothing is sent after commits until a poll has republished everything unacknowledged, in order.
            caughtUp = false;
            seqs.forEach(unmarked::remove);
            pollAgain = true;
            startPoll();
        }
    }

    /**
     * The alerts whose remembered failed sends the poll forgets before it sends {@code toSend} again in stored order:
     * those of the rows it sends, but none with a send after commit whose outcome or mark is not in yet ({@code
     * unmarked}, seq to fingerprint). That send may have failed without the relay knowing yet, and it must still fail
     * the later transitions of its alert: it is sent again only by a later round, first. Every such send counts, not
     * only those among this round's rows: the round may not hold it (past its batch, or locked by another poll).
     */
    static Set<String> toForget(List<AlertRow> toSend, Map<Long, String> unmarked) {
        Set<String> forget = new HashSet<>();
        toSend.forEach(row -> forget.add(row.fingerprint()));
        forget.removeAll(new HashSet<>(unmarked.values()));
        return forget;
    }

    /**
     * A failure in one line: a commit's or a round's failure holds one cause per failed send (up to a round's batch),
     * and its own message would list them all, one line each.
     */
    static String describe(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof CompositeException composite) {
                List<Throwable> causes = composite.getCauses();
                return causes.size() + (causes.size() == 1 ? " send" : " sends") + " failed, the first: "
                        + causes.get(0);
            }
        }
        return String.valueOf(failure.getMessage());
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
        List<Throwable> failures = new ArrayList<>();
        List<Unsendable> deadLettered = new ArrayList<>();
        alerts.relay(instance, config.relay().takeoverAfter(), limit, round -> {
                    List<AlertRow> rows = round.rows();
                    List<Decoded> toSend = new ArrayList<>();
                    Set<Long> unknownSchema = new HashSet<>();
                    Set<String> resent;
                    synchronized (this) {
                        Set<String> blocked = new HashSet<>();
                        for (AlertRow row : rows) {
                            // Transitions sent after their commit and waiting for Kafka or their mark are not sent
                            // again, and do not hold later ones back: those are sent after them.
                            if (unmarked.containsKey(row.seq())) {
                                continue;
                            }
                            if (blocked.contains(row.fingerprint())
                                    || round.untaken().getOrDefault(row.fingerprint(), List.of()).stream()
                                            .anyMatch(seq -> seq < row.seq() && !unmarked.containsKey(seq))) {
                                blocked.add(row.fingerprint());
                                continue;
                            }
                            AlertEvent event;
                            try {
                                event = codec.decode(row.avro());
                            } catch (AvroDecodingException e) {
                                if (e.reason() == AvroDecodingException.Reason.UNKNOWN_FINGERPRINT) {
                                    // Written by a newer release (a rolling upgrade, a takeover of a newer
                                    // instance's rows, a downgrade): an instance that knows the schema sends it,
                                    // so it stays in the outbox and holds its alert back meanwhile.
                                    blocked.add(row.fingerprint());
                                    unknownSchema.add(row.seq());
                                    if (warnedUnknownSchema.add(row.seq())) {
                                        Log.warnf(
                                                "alert transition seq %d (fingerprint %s) was written with a schema"
                                                        + " this release does not know; left to an instance that"
                                                        + " knows it, and its alert's later transitions wait: %s",
                                                row.seq(), row.fingerprint(), e.getMessage());
                                    }
                                    continue;
                                }
                                // Stored bytes decode the same way every round: never sent, dead-lettered, and the
                                // alert goes on.
                                synchronized (deadLettered) {
                                    deadLettered.add(new Unsendable(
                                            new DeadLetter(
                                                    row.seq(),
                                                    row.fingerprint(),
                                                    "cannot be decoded: " + e.getMessage()),
                                            RelayFailures.UNDECODABLE));
                                }
                                continue;
                            }
                            toSend.add(new Decoded(row, event));
                        }
                        // Warned once per row while it stays in the outbox: forgotten once a round no longer meets
                        // it (sent by another instance), so the set does not grow for ever.
                        warnedUnknownSchema.retainAll(unknownSchema);
                        holding.addAll(blocked);
                        resent = toForget(toSend.stream().map(Decoded::row).toList(), unmarked);
                        if (!rows.isEmpty()) {
                            polledUpTo = Math.max(
                                    polledUpTo, rows.get(rows.size() - 1).seq());
                        }
                    }
                    sent[0] = toSend.size();
                    sender.forget(resent);
                    return publish(toSend, failures, deadLettered);
                })
                .subscribe()
                .with(
                        rows -> {
                            // Stored with the round: reported once, whatever else failed in it.
                            synchronized (deadLettered) {
                                deadLettered.stream()
                                        .sorted(Comparator.comparingLong(unsendable ->
                                                unsendable.letter().seq()))
                                        .forEach(this::reportDeadLetter);
                            }
                            List<Throwable> failed;
                            synchronized (failures) {
                                failed = List.copyOf(failures);
                            }
                            if (!failed.isEmpty()) {
                                // The acknowledged ones are marked; the failed ones wait for the timer's poll.
                                roundFailed(new CompositeException(failed));
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
                        this::roundFailed);
    }

    private void roundFailed(Throwable failure) {
        // The timer polls again; looping here would spin while Kafka or the database is away.
        pollFailed.increment();
        Log.warnf("alerts not published yet: %s", describe(failure));
        synchronized (this) {
            polling = false;
            caughtUp = false;
            holding.clear();
        }
    }

    /**
     * Sends the rows in order; settles those Kafka acknowledged, to be marked by the round even when others failed (a
     * record is acknowledged only after the earlier ones of its alert, so marking it skips none), and those that can
     * never be sent, added to {@code deadLettered} too. Ends once every send has ended, so the round keeps its rows
     * locked (from other instances' polls) while any is on its way; the other failures are added to {@code failures}.
     */
    private Uni<Settled> publish(List<Decoded> rows, List<Throwable> failures, List<Unsendable> deadLettered) {
        List<Uni<Optional<Long>>> sends = new ArrayList<>(rows.size());
        for (Decoded decoded : rows) {
            AlertRow row = decoded.row();
            AlertEvent event = decoded.event();
            sends.add(sender.send(row.fingerprint(), event)
                    .replaceWith(Optional.of(row.seq()))
                    .onFailure()
                    .recoverWithItem(failure -> {
                        if (RelayFailures.permanent(failure)) {
                            synchronized (deadLettered) {
                                deadLettered.add(new Unsendable(
                                        new DeadLetter(row.seq(), row.fingerprint(), RelayFailures.reason(failure)),
                                        RelayFailures.cause(failure)));
                            }
                        } else {
                            synchronized (failures) {
                                failures.add(failure);
                            }
                        }
                        return Optional.<Long>empty();
                    }));
        }
        Uni<List<Long>> acknowledged = sends.isEmpty()
                ? Uni.createFrom().item(List.of())
                : Uni.join().all(sends).andFailFast().map(outcomes -> outcomes.stream()
                        .flatMap(Optional::stream)
                        .toList());
        return acknowledged
                .invoke(published -> polled.increment(published.size()))
                .map(published -> {
                    synchronized (deadLettered) {
                        return new Settled(
                                published,
                                deadLettered.stream().map(Unsendable::letter).toList());
                    }
                });
    }

    /** A row of a poll round to send, and its decoded transition. */
    private record Decoded(AlertRow row, AlertEvent event) {}

    /** A transition that can never be sent, and the cause its count is tagged with. */
    private record Unsendable(DeadLetter letter, String cause) {}

    /** Counts and logs a dead-lettered transition, once its mark is stored. */
    private void reportDeadLetter(Unsendable unsendable) {
        DeadLetter letter = unsendable.letter();
        deadLetters.get(unsendable.cause()).increment();
        // The transition never reaches the alerts topic: an operator has to act on it, so it is an error.
        Log.errorf(
                "alert transition seq %d (fingerprint %s) can never be published to Kafka and is dead-lettered in"
                        + " the alerts table: %s",
                letter.seq(), letter.fingerprint(), letter.reason());
    }
}
