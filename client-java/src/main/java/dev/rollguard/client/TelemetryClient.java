package dev.rollguard.client;

import dev.failsafe.Failsafe;
import dev.failsafe.FailsafeException;
import dev.failsafe.RetryPolicy;
import dev.rollguard.schemas.event.FlagExposure;
import dev.rollguard.schemas.event.Platform;
import dev.rollguard.schemas.event.SyncEvent;
import dev.rollguard.schemas.event.UploadEvent;
import dev.rollguard.schemas.telemetry.TelemetryLimits;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.apache.avro.specific.SpecificRecord;

/**
 * Sends an app's sync and upload telemetry to Rollguard: fills in what the app need not (event id, event time,
 * client id, platform, app version, context attributes), attaches the flag exposures {@link ExposureHook} recorded for the event's user
 * (its {@code userId}, else its client id, as the targeting key), and delivers the events in batches through a
 * {@link TelemetryTransport} on a sender thread of its own.
 *
 * <p>A batch goes when it is full or {@code linger} after its first event. A batch that fails for a reason that may
 * pass (receiver unreachable, busy, restarting) is sent again, the same events with the same ids, with exponential
 * backoff and jitter (Failsafe's retry policy), for as long as it takes: meanwhile new events wait in a bounded
 * offline queue, and when it is full the oldest one is dropped (counted, and told to the {@link
 * TelemetryListener}). Metrics-ingest counts an event once by its id, so a batch that reached it before its answer
 * was lost costs nothing. Events refused for good (validation, authentication) are counted and told to the
 * listener, never retried.
 *
 * <p>When flags were evaluated but not for the event's subject, the app evaluates with another targeting key (an
 * email, an anonymous id) than the {@code userId} it reports: its events go without exposures and metrics-ingest
 * buckets the {@code userId} itself, so they may count in the cohort the user was not served. {@link KeyMismatch}
 * says what the client does then: warn once (default), refuse the event, or nothing.
 *
 * <p>The receiver refuses a whole event for one part that breaks its limits ({@link TelemetryLimits}); the client
 * mends what it can so the event still counts ({@link EventMender}): an error message is made clean and cut to 2048
 * characters, at most 64 exposures go (of those attached, the flags evaluated most recently; of the event's own, the
 * first), and an event's context attribute or own exposure that breaks the rules is left out (the client's own
 * attributes are checked when it is built). A number it would refuse (a negative {@code durationMs} or one over the
 * receiver's max age, {@link Builder#maxAge}; an upload's {@code bytes} over 1 TiB; a negative count) cannot be mended
 * without making one up: the event is refused at once, as the receiver would, and never queued; so is one without
 * {@code success} or {@code durationMs}, which cannot be built. The exposures {@link ExposureHook} records are only
 * those the receiver accepts ({@link Exposures#record}).
 *
 * <p>The sender thread outlives any failure: an unexpected exception from the transport is retried like a receiver
 * that is away, one from the listener is logged and ignored. Delays and timeouts follow the monotonic clock ({@link
 * System#nanoTime()}), so a wall clock set back or forward neither holds a batch nor hurries it.
 *
 * <p>Thread-safe; {@link #send} never blocks on the network and never changes the builder it is given. {@link
 * #close()} delivers what is queued within the close timeout; an event sent later is dropped (counted and told to
 * the listener), never thrown back at the app.
 */
public final class TelemetryClient implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(TelemetryClient.class.getName());
    /** Distinct warnings a client logs at most; beyond, they go at DEBUG (attribute names may be unbounded). */
    private static final int MAX_WARNINGS = 1_000;
    /** The code {@link TelemetryListener#retrying} gets for a failure the transport did not expect. */
    static final String UNEXPECTED_FAILURE = "UNEXPECTED_FAILURE";
    /**
     * Attempts of one batch that fail unexpectedly before the batch is refused: a failure that repeats that often (an
     * event the transport cannot encode) would otherwise hold every later event back for good.
     */
    static final int MAX_UNEXPECTED_ATTEMPTS = 10;

    private final TelemetryTransport transport;
    private final Exposures exposures;
    private final TelemetryListener listener;
    private final Clock clock;
    private final String clientId;
    private final Platform platform;
    private final String appVersion;
    private final Map<String, String> context;
    private final int batchSize;
    private final long lingerNanos;
    private final int maxQueued;
    private final Duration initialBackoff;
    private final Duration closeTimeout;
    private final RetryPolicy<Object> retry;
    private final KeyMismatch keyMismatch;
    private final Duration maxAge;
    private volatile boolean warnedKeyMismatch;
    /** Unexpected failures of the batch being delivered (one sender thread). */
    private final AtomicInteger unexpectedAttempts = new AtomicInteger();
    /** What was logged at WARNING already, each warning once. */
    private final Set<String> warned = ConcurrentHashMap.newKeySet();

    private final Object lock = new Object();
    private final Deque<SpecificRecord> queue = new ArrayDeque<>();
    private final Thread sender;
    /** Events of the batch being delivered; they still count against the queue's bound. */
    private int inFlight;
    /** {@link System#nanoTime()} at which the oldest queued event was queued. */
    private long oldestQueuedAt;

    private boolean flushing;
    private boolean closing;

    private long sent;
    private long rejected;
    private long dropped;
    private long retries;
    private long keyMismatches;

    private TelemetryClient(Builder builder) {
        this.transport = builder.transport;
        if (builder.clockGiven) {
            // The batch's sentAt must come from the clock of its event times, or metrics-ingest would move them by
            // the difference of two clocks rather than by the device's error.
            transport.useClock(builder.clock);
        }
        this.exposures = builder.exposures;
        this.listener = builder.listener;
        this.clock = builder.clock;
        this.clientId = builder.clientId;
        this.platform = builder.platform;
        this.appVersion = builder.appVersion;
        this.context = Map.copyOf(builder.context);
        this.batchSize = builder.batchSize;
        this.lingerNanos = builder.linger.toNanos();
        this.maxQueued = builder.maxQueuedEvents;
        this.initialBackoff = builder.initialBackoff;
        this.closeTimeout = builder.closeTimeout;
        this.keyMismatch = builder.keyMismatch;
        this.maxAge = builder.maxAge;
        this.retry = RetryPolicy.builder()
                // A failure the transport did not foresee (a bug, a library's own exception) may pass too; refusing
                // the batch for it would lose events, letting it escape would stop the sender for good.
                .handleIf(
                        e -> e instanceof TelemetryTransportException t ? t.retryable() : e instanceof RuntimeException)
                .abortOn(e -> !(e instanceof TelemetryTransportException)
                        && unexpectedAttempts.incrementAndGet() >= MAX_UNEXPECTED_ATTEMPTS)
                .withBackoff(builder.initialBackoff, builder.maxBackoff)
                .withJitter(0.2)
                .withMaxRetries(-1)
                .onRetryScheduled(
                        e -> retrying(e.getLastException(), e.getDelay().toMillis()))
                .build();
        this.sender = new Thread(this::run, "rollguard-telemetry-sender");
        this.sender.setDaemon(true);
        this.sender.start();
    }

    /**
     * A client delivering through {@code transport}, for the app installation or process {@code clientId}: not blank,
     * at most 256 characters, without a control character (else {@link IllegalArgumentException}: metrics-ingest would
     * refuse every event that carries it).
     */
    public static Builder builder(TelemetryTransport transport, String clientId) {
        return new Builder(transport, clientId);
    }

    /**
     * Queues a sync event; the fields the app left unset are filled in and what the receiver would refuse is mended
     * (see the class comment), on a copy: {@code template} itself is not changed, so a builder the app keeps may be
     * sent again (each send is a new event, with its own id, time and exposures). An event with a number the receiver
     * would refuse is not queued: it is counted as rejected and told to the listener at once, with the receiver's
     * code. An event sent after {@link #close()} is not queued either: it is counted as dropped and told to the
     * listener; this method does not throw for it.
     */
    public void send(SyncEvent.Builder template) {
        // Filled in on a copy: the app's builder is left as it was, so that one it keeps and sends again gets a new
        // id, time and its user's exposures each time, not the first event's.
        SyncEvent.Builder event = EventCopies.of(Objects.requireNonNull(template, "event"));
        if (!event.hasEventId()) {
            event.setEventId(UUID.randomUUID().toString());
        }
        if (!event.hasEventTime()) {
            event.setEventTime(clock.instant());
        }
        if (!event.hasClientId()) {
            event.setClientId(clientId);
        }
        if (!event.hasPlatform() && platform != null) {
            event.setPlatform(platform);
        }
        if (!event.hasAppVersion() && appVersion != null) {
            event.setAppVersion(appVersion);
        }
        EventMender.Refusal missing = EventMender.missingField(event.hasSuccess(), event.hasDurationMs());
        if (missing != null) {
            // An event without them cannot be built: the listener gets it with each at its type's zero.
            refuse(
                    event.setSuccess(event.getSuccess())
                            .setDurationMs(event.getDurationMs())
                            .build(),
                    missing);
            return;
        }
        EventMender.Refusal refusal = EventMender.numberRefusal(
                maxAge,
                event.getDurationMs(),
                null,
                event.getRecordsSynced(),
                event.getStorageUsedBytes(),
                event.getStorageQuotaBytes(),
                event.getPendingMutations(),
                event.getFailedMutations(),
                event.getSyncQueueLength());
        if (refusal != null) {
            refuse(event.build(), refusal);
            return;
        }
        event.setContext(withDefaults(event.hasContext() ? event.getContext() : Map.of()));
        if (event.getErrorMessage() != null) {
            event.setErrorMessage(EventMender.errorMessage(event.getErrorMessage()));
        }
        if (!event.hasExposures() || event.getExposures().isEmpty()) {
            event.setExposures(exposuresOf(event.getUserId(), event.getClientId()));
        } else {
            event.setExposures(ownExposures(event.getExposures()));
        }
        enqueue(event.build());
    }

    /**
     * Queues an upload event; the fields the app left unset are filled in and what the receiver would refuse is mended
     * (see the class comment), on a copy: {@code template} itself is not changed, so a builder the app keeps may be
     * sent again (each send is a new event, with its own id, time and exposures). An event with a number the receiver
     * would refuse is not queued: it is counted as rejected and told to the listener at once, with the receiver's
     * code. An event sent after {@link #close()} is not queued either: it is counted as dropped and told to the
     * listener; this method does not throw for it.
     */
    public void send(UploadEvent.Builder template) {
        // Filled in on a copy: the app's builder is left as it was, so that one it keeps and sends again gets a new
        // id, time and its user's exposures each time, not the first event's.
        UploadEvent.Builder event = EventCopies.of(Objects.requireNonNull(template, "event"));
        if (!event.hasEventId()) {
            event.setEventId(UUID.randomUUID().toString());
        }
        if (!event.hasEventTime()) {
            event.setEventTime(clock.instant());
        }
        if (!event.hasClientId()) {
            event.setClientId(clientId);
        }
        if (!event.hasPlatform() && platform != null) {
            event.setPlatform(platform);
        }
        if (!event.hasAppVersion() && appVersion != null) {
            event.setAppVersion(appVersion);
        }
        EventMender.Refusal missing = EventMender.missingField(event.hasSuccess(), event.hasDurationMs());
        if (missing != null) {
            // An event without them cannot be built: the listener gets it with each at its type's zero.
            refuse(
                    event.setSuccess(event.getSuccess())
                            .setDurationMs(event.getDurationMs())
                            .build(),
                    missing);
            return;
        }
        EventMender.Refusal refusal = EventMender.numberRefusal(
                maxAge,
                event.getDurationMs(),
                event.getBytes(),
                null,
                event.getStorageUsedBytes(),
                event.getStorageQuotaBytes(),
                event.getPendingMutations(),
                event.getFailedMutations(),
                event.getSyncQueueLength());
        if (refusal != null) {
            refuse(event.build(), refusal);
            return;
        }
        event.setContext(withDefaults(event.hasContext() ? event.getContext() : Map.of()));
        if (event.getErrorMessage() != null) {
            event.setErrorMessage(EventMender.errorMessage(event.getErrorMessage()));
        }
        if (!event.hasExposures() || event.getExposures().isEmpty()) {
            event.setExposures(exposuresOf(event.getUserId(), event.getClientId()));
        } else {
            event.setExposures(ownExposures(event.getExposures()));
        }
        enqueue(event.build());
    }

    /**
     * The event's context attributes over the client's defaults (the event's own win), without those metrics-ingest
     * would refuse the whole event for: an attribute of the event that breaks the rules is left out (not replaced by
     * the client's value, which the app did not evaluate with), and beyond 32 attributes the event's own that the
     * client does not set are left out, the last ones by name first. Each attribute left out is logged once.
     */
    private Map<String, String> withDefaults(Map<String, String> own) {
        if (own.isEmpty()) {
            return context;
        }
        Map<String, String> merged = new LinkedHashMap<>(context);
        List<String> names = new ArrayList<>(own.keySet());
        names.sort(Comparator.nullsFirst(Comparator.naturalOrder()));
        for (String name : names) {
            String value = own.get(name);
            String refusal = EventMender.contextRefusal(name, value);
            if (refusal == null
                    && !merged.containsKey(name)
                    && merged.size() >= TelemetryLimits.MAX_CONTEXT_ATTRIBUTES) {
                refusal = "the event has more than " + TelemetryLimits.MAX_CONTEXT_ATTRIBUTES + " attributes";
            }
            if (refusal == null) {
                merged.put(name, value);
                continue;
            }
            merged.remove(name);
            warnOnce(
                    "context " + name,
                    "Rollguard telemetry: the context attribute '" + EventMender.forLog(name, 80)
                            + "' is left out of an event, and of every later one for the same reason: " + refusal
                            + "; metrics-ingest would refuse the whole event",
                    null);
        }
        return merged;
    }

    /**
     * The exposures the event set itself, without those metrics-ingest would refuse the whole event for: an exposure
     * with a blank or over-long flag key or variant, a flag key no flag can have (lower-case letters and digits
     * separated by single dots or dashes), a variant holding a control character or an unpaired surrogate, or a
     * negative flag version is left out ({@link EventMender#exposureRefusal}), and beyond 64 the last ones are. Each
     * reason is logged once.
     */
    private List<FlagExposure> ownExposures(List<FlagExposure> own) {
        List<FlagExposure> accepted = new ArrayList<>(Math.min(own.size(), TelemetryLimits.MAX_EXPOSURES));
        for (FlagExposure exposure : own) {
            if (EventMender.exposureRefusal(exposure) != null) {
                warnOnce(
                        "exposure",
                        "Rollguard telemetry: an exposure an event sets is left out of it, and so is every later one"
                                + " with a blank flag key or variant, one longer than " + TelemetryLimits.MAX_KEY_LENGTH
                                + " characters, a flag key no flag can have, a variant holding a control character or"
                                + " a negative flag version ("
                                + EventMender.forLog(String.valueOf(exposure), 200)
                                + "); metrics-ingest would refuse the whole event",
                        null);
            } else if (accepted.size() < TelemetryLimits.MAX_EXPOSURES) {
                accepted.add(exposure);
            } else {
                warnOnce(
                        "exposures",
                        "Rollguard telemetry: an event sets " + own.size() + " exposures; metrics-ingest accepts "
                                + TelemetryLimits.MAX_EXPOSURES + ": the first " + TelemetryLimits.MAX_EXPOSURES
                                + " go, the others are left out, of this event and of every later one",
                        null);
                break;
            }
        }
        return accepted.size() == own.size() ? own : accepted;
    }

    /** {@code event} is refused at once, as metrics-ingest would refuse it: counted, told, logged once per code. */
    private void refuse(SpecificRecord event, EventMender.Refusal refusal) {
        synchronized (lock) {
            rejected++;
        }
        warnOnce(
                "at once " + refusal.code(),
                "Rollguard telemetry: an event is refused and not sent, as metrics-ingest would refuse it ("
                        + refusal.code() + ": " + refusal.reason()
                        + "). Later events refused with this code are told to the listener only.",
                null);
        tell("rejected", l -> l.rejected(event, refusal.code(), refusal.reason()));
    }

    private List<FlagExposure> exposuresOf(String userId, String eventClientId) {
        List<FlagExposure> served = exposures.of(userId != null ? userId : eventClientId);
        if (served.isEmpty() && userId != null) {
            served = exposures.of(eventClientId);
        }
        int evaluated = served.isEmpty() && keyMismatch != KeyMismatch.IGNORE ? exposures.subjects() : 0;
        if (evaluated > 0) {
            keyMismatch(userId != null ? userId : eventClientId, userId != null, evaluated);
        }
        return served;
    }

    private void keyMismatch(String subject, boolean isUserId, int evaluated) {
        synchronized (lock) {
            keyMismatches++;
        }
        tell("keyMismatch", l -> l.keyMismatch(subject, evaluated));
        String message = "Rollguard telemetry: flags were evaluated for " + evaluated
                + " targeting key(s), none of them this event's " + (isUserId ? "userId" : "clientId (no userId set)")
                + "; metrics-ingest would bucket it by itself and may count it in another cohort than the app was"
                + " served. Send the targeting key you evaluate with as userId.";
        if (keyMismatch == KeyMismatch.REFUSE) {
            throw new KeyMismatchException(message);
        }
        if (!warnedKeyMismatch) {
            warnedKeyMismatch = true;
            LOG.log(System.Logger.Level.WARNING, message);
        }
    }

    private void enqueue(SpecificRecord event) {
        SpecificRecord overflow = null;
        boolean closed;
        synchronized (lock) {
            closed = closing;
            if (closed) {
                // The app's threads may still finish their work while it shuts down: what they report is lost, but
                // they must not fail for it.
                dropped++;
            } else {
                if (queue.size() + inFlight >= maxQueued) {
                    overflow = queue.isEmpty() ? event : queue.pollFirst();
                    dropped++;
                }
                if (overflow != event) {
                    if (queue.isEmpty()) {
                        oldestQueuedAt = System.nanoTime();
                    }
                    queue.addLast(event);
                    lock.notifyAll();
                }
            }
        }
        if (closed) {
            warnOnce(
                    "closed",
                    "Rollguard telemetry: an event was sent after the client closed and is dropped; later ones are"
                            + " dropped too, counted in stats().dropped() and told to the listener, not logged",
                    null);
            tell("dropped", l -> l.dropped(event, "the client is closed"));
        }
        if (overflow != null) {
            warnOnce(
                    "queue full",
                    "Rollguard telemetry: the offline queue holds " + maxQueued + " events while the receiver is away;"
                            + " the oldest is dropped for each new one (counted in stats().dropped() and told to the"
                            + " listener, not logged again)",
                    null);
            SpecificRecord gone = overflow;
            tell("dropped", l -> l.dropped(gone, "the offline queue holds " + maxQueued + " events"));
        }
    }

    /**
     * Sends every queued event now and waits until they are delivered (or refused), at most {@code timeout}.
     *
     * @return whether the queue was empty and nothing in flight when this returned
     */
    public boolean flush(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            flushing = true;
            lock.notifyAll();
            try {
                while (!queue.isEmpty() || inFlight > 0) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return false;
                    }
                    lock.wait(Math.max(1, left / 1_000_000));
                }
                return true;
            } finally {
                flushing = false;
            }
        }
    }

    /** Counts since the client started. */
    public Stats stats() {
        synchronized (lock) {
            return new Stats(sent, rejected, dropped, retries, queue.size() + inFlight, keyMismatches);
        }
    }

    /**
     * Delivers what is queued within the close timeout, then stops the sender and closes the transport; events still
     * undelivered then are dropped (and told to the listener), and so are those sent later: {@link #send} does not
     * throw for them, since the app's threads may still be finishing their work while it shuts down.
     */
    @Override
    public void close() {
        try {
            flush(closeTimeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (lock) {
            closing = true;
            lock.notifyAll();
        }
        sender.interrupt();
        try {
            sender.join(closeTimeout.toMillis() + 1_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<SpecificRecord> left;
        synchronized (lock) {
            left = new ArrayList<>(queue);
            dropped += left.size();
            queue.clear();
        }
        if (!left.isEmpty()) {
            warnOnce(
                    "closed undelivered",
                    "Rollguard telemetry: the client closed with " + left.size() + " event(s) the receiver did not"
                            + " take within the close timeout of " + closeTimeout + "; they are dropped",
                    null);
        }
        for (SpecificRecord event : left) {
            tell("dropped", l -> l.dropped(event, "the client closed before the receiver took it"));
        }
        transport.close();
    }

    private void run() {
        while (true) {
            List<SpecificRecord> batch;
            synchronized (lock) {
                try {
                    while (!closing && !due()) {
                        long wait = queue.isEmpty() ? 0 : millisUntil(oldestQueuedAt + lingerNanos);
                        lock.wait(wait);
                    }
                } catch (InterruptedException e) {
                    return;
                }
                if (closing) {
                    return;
                }
                batch = new ArrayList<>(Math.min(batchSize, queue.size()));
                while (batch.size() < batchSize && !queue.isEmpty()) {
                    batch.add(queue.pollFirst());
                }
                inFlight = batch.size();
                oldestQueuedAt = System.nanoTime();
            }
            boolean delivered = false;
            boolean failed = false;
            try {
                delivered = deliver(batch);
            } catch (RuntimeException e) {
                // Not foreseen by deliver: the sender must go on all the same, with the batch sent again later.
                failed = true;
                warnOnce(
                        "sender " + e.getClass().getName(),
                        "Rollguard telemetry: delivering a batch failed unexpectedly; it is sent again later",
                        e);
            } finally {
                synchronized (lock) {
                    inFlight = 0;
                    if (!delivered) {
                        // Interrupted by close while the receiver was away, or failed: back to the queue's head.
                        for (int i = batch.size() - 1; i >= 0; i--) {
                            queue.addFirst(batch.get(i));
                        }
                    }
                    lock.notifyAll();
                }
            }
            if (!delivered && (!failed || !pause())) {
                return;
            }
        }
    }

    /** Milliseconds, at least one, until the {@link System#nanoTime()} instant {@code nanos}. */
    private static long millisUntil(long nanos) {
        return Math.max(1, (nanos - System.nanoTime() + 999_999) / 1_000_000);
    }

    /** Waits the initial backoff before a batch that failed unexpectedly goes again; false when the client closes. */
    private boolean pause() {
        long until = System.nanoTime() + initialBackoff.toNanos();
        synchronized (lock) {
            try {
                while (!closing && until - System.nanoTime() > 0) {
                    lock.wait(millisUntil(until));
                }
            } catch (InterruptedException e) {
                return false;
            }
            return !closing;
        }
    }

    /** Whether a batch should go now: full, lingered long enough, or flushed. */
    private boolean due() {
        if (queue.isEmpty()) {
            return false;
        }
        return queue.size() >= batchSize || flushing || System.nanoTime() - oldestQueuedAt >= lingerNanos;
    }

    /** Delivers one batch, retrying while the failure may pass; false when interrupted by close before that. */
    private boolean deliver(List<SpecificRecord> batch) {
        List<TelemetryTransport.Rejection> refused;
        unexpectedAttempts.set(0);
        try {
            refused = Failsafe.with(retry).get(() -> transport.send(batch));
        } catch (TelemetryTransportException e) {
            // Refused for good as a whole (bad token, wrong URL, malformed request): sending it again would fail the
            // same way, and so will every later batch until the app's settings are mended: say it where it is seen.
            warnOnce(
                    "refused " + e.code(),
                    "Rollguard telemetry: the receiver refused a whole batch (" + batch.size()
                            + (batch.size() == 1 ? " event" : " events")
                            + ") for good, and the events are not sent again: " + e.code() + ": "
                            + e.getMessage() + ". Later refusals with the same code are not logged.",
                    null);
            synchronized (lock) {
                rejected += batch.size();
            }
            for (SpecificRecord event : batch) {
                tell("rejected", l -> l.rejected(event, e.code(), e.getMessage()));
            }
            return true;
        } catch (FailsafeException e) {
            if (e.getCause() instanceof InterruptedException
                    || Thread.currentThread().isInterrupted()) {
                return false;
            }
            throw e;
        } catch (RuntimeException e) {
            // The same unexpected failure on every one of MAX_UNEXPECTED_ATTEMPTS: this batch cannot be sent.
            warnOnce(
                    "aborted " + e.getClass().getName(),
                    "Rollguard telemetry: a batch of " + batch.size() + " failed unexpectedly "
                            + MAX_UNEXPECTED_ATTEMPTS
                            + " times in a row and is refused, so that later events are sent: " + e,
                    e);
            synchronized (lock) {
                rejected += batch.size();
            }
            for (SpecificRecord event : batch) {
                tell("rejected", l -> l.rejected(event, UNEXPECTED_FAILURE, String.valueOf(e.getMessage())));
            }
            return true;
        }
        List<TelemetryTransport.Rejection> rejections = inBatch(refused, batch.size());
        synchronized (lock) {
            sent += batch.size() - rejections.size();
            rejected += rejections.size();
        }
        for (TelemetryTransport.Rejection rejection : rejections) {
            // Else an app without a listener of its own would lose such events without a word.
            warnOnce(
                    "rejected " + rejection.code(),
                    "Rollguard telemetry: the receiver refused an event for good, and it is not sent again: "
                            + EventMender.forLog(rejection.code(), 80) + ": "
                            + EventMender.forLog(rejection.reason(), 200)
                            + ". Later events refused with this code are told to the listener only.",
                    null);
            tell("rejected", l -> l.rejected(batch.get(rejection.index()), rejection.code(), rejection.reason()));
        }
        return true;
    }

    /** The rejections that name an event of the batch, each event once; the receiver's others are ignored. */
    private List<TelemetryTransport.Rejection> inBatch(List<TelemetryTransport.Rejection> refused, int size) {
        if (refused == null || refused.isEmpty()) {
            return List.of();
        }
        boolean[] seen = new boolean[size];
        List<TelemetryTransport.Rejection> rejections = new ArrayList<>(refused.size());
        for (TelemetryTransport.Rejection rejection : refused) {
            if (rejection == null || rejection.index() < 0 || rejection.index() >= size || seen[rejection.index()]) {
                warnOnce(
                        "rejection index",
                        "Rollguard telemetry: the receiver refused an event outside the batch of " + size
                                + " or twice (" + EventMender.forLog(String.valueOf(rejection), 200)
                                + "); ignored, the batch's events count as delivered",
                        null);
                continue;
            }
            seen[rejection.index()] = true;
            rejections.add(rejection);
        }
        return rejections;
    }

    /** Counts a retry and tells the listener; {@code failure} is the attempt's. */
    private void retrying(Throwable failure, long delayMillis) {
        synchronized (lock) {
            retries++;
        }
        String code;
        String message;
        if (failure instanceof TelemetryTransportException t) {
            code = t.code();
            message = t.getMessage();
        } else {
            code = UNEXPECTED_FAILURE;
            message = String.valueOf(failure);
            warnOnce(
                    "transport " + (failure == null ? "" : failure.getClass().getName()),
                    "Rollguard telemetry: the transport failed unexpectedly; the batch is sent again with backoff, and"
                            + " later failures of this kind are not logged",
                    failure);
        }
        int events = inFlightSize();
        tell("retrying", l -> l.retrying(events, code, message, delayMillis));
    }

    /** Calls the app's listener; what it throws is logged (once per method) and goes no further. */
    private void tell(String method, Consumer<TelemetryListener> call) {
        try {
            call.accept(listener);
        } catch (RuntimeException e) {
            warnOnce(
                    "listener " + method,
                    "Rollguard telemetry: the TelemetryListener threw from " + method
                            + "; ignored, and later throws from it are logged at DEBUG",
                    e);
        }
    }

    /** Logs {@code message} at WARNING the first time {@code key} comes, later at DEBUG. */
    private void warnOnce(String key, String message, Throwable thrown) {
        boolean first = warned.size() < MAX_WARNINGS && warned.add(key);
        System.Logger.Level level = first ? System.Logger.Level.WARNING : System.Logger.Level.DEBUG;
        if (LOG.isLoggable(level)) {
            if (thrown == null) {
                LOG.log(level, message);
            } else {
                LOG.log(level, message, thrown);
            }
        }
    }

    private int inFlightSize() {
        synchronized (lock) {
            return inFlight;
        }
    }

    /**
     * Counts since the client started: events delivered, refused for good, dropped (offline queue full, left at
     * close, or sent after it), batch retries, events waiting now, and events sent without exposures although flags were evaluated for
     * other keys ({@link KeyMismatch}).
     */
    public record Stats(long sent, long rejected, long dropped, long retries, int queued, long keyMismatches) {}

    /** What the client does with an event whose subject was served nothing while other keys were. */
    public enum KeyMismatch {
        /** Send it without exposures, count it, log a warning once (the default). */
        WARN,
        /** Refuse it: {@link #send} throws {@link KeyMismatchException}, nothing is queued. */
        REFUSE,
        /** Send it without exposures, say nothing. */
        IGNORE
    }

    /** Thrown by {@link #send} under {@link KeyMismatch#REFUSE}. */
    public static final class KeyMismatchException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        KeyMismatchException(String message) {
            super(message);
        }
    }

    /** Settings of a {@link TelemetryClient}; the defaults suit an app on a phone or a backend alike. */
    public static final class Builder {

        private final TelemetryTransport transport;
        private final String clientId;
        private Exposures exposures = new Exposures();
        private TelemetryListener listener = new TelemetryListener() {};
        private Clock clock = Clock.systemUTC();
        private boolean clockGiven;
        private Platform platform;
        private String appVersion;
        private Map<String, String> context = Map.of();
        private int batchSize = 200;
        private Duration linger = Duration.ofSeconds(1);
        private int maxQueuedEvents = 10_000;
        private Duration initialBackoff = Duration.ofMillis(500);
        private Duration maxBackoff = Duration.ofSeconds(30);
        private Duration closeTimeout = Duration.ofSeconds(5);
        private KeyMismatch keyMismatch = KeyMismatch.WARN;
        private Duration maxAge = TelemetryLimits.MAX_AGE;

        private Builder(TelemetryTransport transport, String clientId) {
            this.transport = Objects.requireNonNull(transport, "transport");
            if (clientId == null || clientId.isBlank()) {
                throw new IllegalArgumentException("clientId must not be blank");
            }
            this.clientId = id(clientId, "clientId");
        }

        /**
         * {@code value} when metrics-ingest accepts it as an id (at most 256 characters, no control character or
         * unpaired surrogate); else it would refuse every event the client fills it in: {@link
         * IllegalArgumentException}, never quoting the value.
         */
        private static String id(String value, String name) {
            if (value.length() > TelemetryLimits.MAX_ID_LENGTH) {
                throw new IllegalArgumentException(name + " is longer than " + TelemetryLimits.MAX_ID_LENGTH
                        + " characters: metrics-ingest would refuse every event");
            }
            int refused = TelemetryLimits.firstRefusedCharacter(value, false);
            if (refused >= 0) {
                throw new IllegalArgumentException(name
                        + " holds the character U+%04X at position %d: metrics-ingest"
                                .formatted((int) value.charAt(refused), refused)
                        + " would refuse every event");
            }
            return value;
        }

        /** Where {@link ExposureHook} records what each user was served (a fresh, unshared one by default). */
        public Builder exposures(Exposures exposures) {
            this.exposures = Objects.requireNonNull(exposures, "exposures");
            return this;
        }

        public Builder listener(TelemetryListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /** The platform of events that do not set one. */
        public Builder platform(Platform platform) {
            this.platform = platform;
            return this;
        }

        /**
         * The app version of events that do not set one: at most 256 characters without a control character, else
         * {@link IllegalArgumentException} (metrics-ingest would refuse every event that carries it).
         */
        public Builder appVersion(String appVersion) {
            this.appVersion = appVersion == null ? null : id(appVersion, "appVersion");
            return this;
        }

        /**
         * Evaluation context attributes (besides the targeting key, platform and app version) added to every event,
         * under the event's own: the attributes the app's flag rules read (e.g. {@code country}), so metrics-ingest
         * assigns events without exposures to the cohorts the app was served.
         */
        public Builder context(Map<String, String> context) {
            Map<String, String> attributes = Map.copyOf(Objects.requireNonNull(context, "context"));
            if (attributes.size() > TelemetryLimits.MAX_CONTEXT_ATTRIBUTES) {
                throw new IllegalArgumentException("context has " + attributes.size() + " attributes, at most "
                        + TelemetryLimits.MAX_CONTEXT_ATTRIBUTES + " are accepted");
            }
            attributes.forEach((name, value) -> {
                String refusal = EventMender.contextRefusal(name, value);
                if (refusal != null) {
                    throw new IllegalArgumentException("context attribute '" + EventMender.forLog(name, 80)
                            + "' would make metrics-ingest refuse every event: " + refusal);
                }
            });
            this.context = attributes;
            return this;
        }

        /** Events per batch, 1 to 1 000 (metrics-ingest's limit per request); 200 by default. */
        public Builder batchSize(int batchSize) {
            if (batchSize < 1 || batchSize > 1_000) {
                throw new IllegalArgumentException("batchSize must be 1 to 1000, was " + batchSize);
            }
            this.batchSize = batchSize;
            return this;
        }

        /** How long the first event of a batch waits for others; 1 s by default. */
        public Builder linger(Duration linger) {
            this.linger = positive(linger, "linger");
            return this;
        }

        /** Events kept while the receiver is away, at least one batch; 10 000 by default. */
        public Builder maxQueuedEvents(int maxQueuedEvents) {
            this.maxQueuedEvents = maxQueuedEvents;
            return this;
        }

        /** The first and the longest wait between two attempts of a batch; 500 ms and 30 s by default. */
        public Builder backoff(Duration initial, Duration max) {
            this.initialBackoff = positive(initial, "initial backoff");
            this.maxBackoff = positive(max, "max backoff");
            if (max.compareTo(initial) < 0) {
                throw new IllegalArgumentException("max backoff " + max + " is shorter than initial " + initial);
            }
            return this;
        }

        /** How long {@link #close()} may take to deliver what is queued; 5 s by default. */
        public Builder closeTimeout(Duration closeTimeout) {
            this.closeTimeout = positive(closeTimeout, "closeTimeout");
            return this;
        }

        /** What to do with an event whose subject was served nothing while other keys were; {@code WARN} by default. */
        public Builder keyMismatch(KeyMismatch keyMismatch) {
            this.keyMismatch = Objects.requireNonNull(keyMismatch, "keyMismatch");
            return this;
        }

        /**
         * The oldest event metrics-ingest accepts, its {@code metrics-ingest.validation.max-age}; 7 days by default,
         * metrics-ingest's default. It is the longest {@code durationMs} too (nothing lasted longer than the oldest
         * event the receiver takes): an event with a longer one is refused at once ({@code OVERSIZED_FIELD}). Set it
         * to the receiver's when an operator changed that, or longer durations it accepts are refused here.
         */
        public Builder maxAge(Duration maxAge) {
            positive(maxAge, "maxAge");
            try {
                // durationMs is compared in milliseconds on every send: less than one would refuse every duration.
                if (maxAge.toMillis() < 1) {
                    throw new IllegalArgumentException("maxAge must be at least 1 ms, was " + maxAge);
                }
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("maxAge " + maxAge + " is too long to count in milliseconds", e);
            }
            this.maxAge = maxAge;
            return this;
        }

        /**
         * The clock of event times (the system's UTC clock by default), given to the transport too ({@link
         * TelemetryTransport#useClock}) so that {@link HttpTelemetryTransport} stamps each request's {@code sentAt} by
         * it, whatever clock the transport was built with. Delays (linger, backoff, timeouts) follow {@link
         * System#nanoTime()} whatever the clock.
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            this.clockGiven = true;
            return this;
        }

        public TelemetryClient build() {
            if (maxQueuedEvents < batchSize) {
                throw new IllegalArgumentException(
                        "maxQueuedEvents " + maxQueuedEvents + " must hold at least one batch of " + batchSize);
            }
            return new TelemetryClient(this);
        }

        private static Duration positive(Duration value, String name) {
            if (value == null || value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException(name + " must be positive, was " + value);
            }
            return value;
        }
    }
}
