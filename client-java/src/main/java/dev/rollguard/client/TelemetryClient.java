package dev.rollguard.client;

import dev.failsafe.Failsafe;
import dev.failsafe.FailsafeException;
import dev.failsafe.RetryPolicy;
import dev.rollguard.schemas.event.FlagExposure;
import dev.rollguard.schemas.event.Platform;
import dev.rollguard.schemas.event.SyncEvent;
import dev.rollguard.schemas.event.UploadEvent;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
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
 * <p>Thread-safe; {@link #send} never blocks on the network. {@link #close()} delivers what is queued within the
 * close timeout.
 */
public final class TelemetryClient implements AutoCloseable {

    private final TelemetryTransport transport;
    private final Exposures exposures;
    private final TelemetryListener listener;
    private final Clock clock;
    private final String clientId;
    private final Platform platform;
    private final String appVersion;
    private final Map<String, String> context;
    private final int batchSize;
    private final long lingerMs;
    private final int maxQueued;
    private final Duration closeTimeout;
    private final RetryPolicy<Object> retry;
    private final KeyMismatch keyMismatch;
    private volatile boolean warnedKeyMismatch;

    private final Object lock = new Object();
    private final Deque<SpecificRecord> queue = new ArrayDeque<>();
    private final Thread sender;
    /** Events of the batch being delivered; they still count against the queue's bound. */
    private int inFlight;
    /** Wall-clock milliseconds at which the oldest queued event was queued. */
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
        this.exposures = builder.exposures;
        this.listener = builder.listener;
        this.clock = builder.clock;
        this.clientId = builder.clientId;
        this.platform = builder.platform;
        this.appVersion = builder.appVersion;
        this.context = Map.copyOf(builder.context);
        this.batchSize = builder.batchSize;
        this.lingerMs = builder.linger.toMillis();
        this.maxQueued = builder.maxQueuedEvents;
        this.closeTimeout = builder.closeTimeout;
        this.keyMismatch = builder.keyMismatch;
        this.retry = RetryPolicy.builder()
                .handleIf(e -> e instanceof TelemetryTransportException t && t.retryable())
                .withBackoff(builder.initialBackoff, builder.maxBackoff)
                .withJitter(0.2)
                .withMaxRetries(-1)
                .onRetryScheduled(e -> {
                    synchronized (lock) {
                        retries++;
                    }
                    TelemetryTransportException failure = (TelemetryTransportException) e.getLastException();
                    listener.retrying(
                            inFlightSize(),
                            failure.code(),
                            failure.getMessage(),
                            e.getDelay().toMillis());
                })
                .build();
        this.sender = new Thread(this::run, "rollguard-telemetry-sender");
        this.sender.setDaemon(true);
        this.sender.start();
    }

    /** A client delivering through {@code transport}, for the app installation or process {@code clientId}. */
    public static Builder builder(TelemetryTransport transport, String clientId) {
        return new Builder(transport, clientId);
    }

    /** Queues a sync event; the fields the app left unset are filled in (see the class comment). */
    public void send(SyncEvent.Builder event) {
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
        event.setContext(withDefaults(event.hasContext() ? event.getContext() : Map.of()));
        if (!event.hasExposures() || event.getExposures().isEmpty()) {
            event.setExposures(exposuresOf(event.getUserId(), event.getClientId()));
        }
        enqueue(event.build());
    }

    /** Queues an upload event; the fields the app left unset are filled in (see the class comment). */
    public void send(UploadEvent.Builder event) {
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
        event.setContext(withDefaults(event.hasContext() ? event.getContext() : Map.of()));
        if (!event.hasExposures() || event.getExposures().isEmpty()) {
            event.setExposures(exposuresOf(event.getUserId(), event.getClientId()));
        }
        enqueue(event.build());
    }

    /** The event's context attributes over the client's defaults (the event's own win). */
    private Map<String, String> withDefaults(Map<String, String> own) {
        if (context.isEmpty()) {
            return own;
        }
        Map<String, String> merged = new HashMap<>(context);
        merged.putAll(own);
        return merged;
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
        listener.keyMismatch(subject, evaluated);
        String message = "Rollguard telemetry: flags were evaluated for " + evaluated
                + " targeting key(s), none of them this event's " + (isUserId ? "userId" : "clientId (no userId set)")
                + "; metrics-ingest would bucket it by itself and may count it in another cohort than the app was"
                + " served. Send the targeting key you evaluate with as userId.";
        if (keyMismatch == KeyMismatch.REFUSE) {
            throw new KeyMismatchException(message);
        }
        if (!warnedKeyMismatch) {
            warnedKeyMismatch = true;
            System.getLogger(TelemetryClient.class.getName()).log(System.Logger.Level.WARNING, message);
        }
    }

    private void enqueue(SpecificRecord event) {
        SpecificRecord overflow = null;
        synchronized (lock) {
            if (closing) {
                throw new IllegalStateException("the telemetry client is closed");
            }
            if (queue.size() + inFlight >= maxQueued) {
                overflow = queue.isEmpty() ? event : queue.pollFirst();
                dropped++;
            }
            if (overflow != event) {
                if (queue.isEmpty()) {
                    oldestQueuedAt = clock.millis();
                }
                queue.addLast(event);
                lock.notifyAll();
            }
        }
        if (overflow != null) {
            listener.dropped(overflow, "the offline queue holds " + maxQueued + " events");
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
     * undelivered then are dropped (and told to the listener).
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
        for (SpecificRecord event : left) {
            listener.dropped(event, "the client closed before the receiver took it");
        }
        transport.close();
    }

    private void run() {
        while (true) {
            List<SpecificRecord> batch;
            synchronized (lock) {
                try {
                    while (!closing && !due()) {
                        long wait = queue.isEmpty() ? 0 : Math.max(1, oldestQueuedAt + lingerMs - clock.millis());
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
                oldestQueuedAt = clock.millis();
            }
            boolean delivered = deliver(batch);
            synchronized (lock) {
                inFlight = 0;
                if (!delivered) {
                    // Interrupted by close while the receiver was away: the batch goes back to the queue's head.
                    for (int i = batch.size() - 1; i >= 0; i--) {
                        queue.addFirst(batch.get(i));
                    }
                }
                lock.notifyAll();
                if (!delivered) {
                    return;
                }
            }
        }
    }

    /** Whether a batch should go now: full, lingered long enough, or flushed. */
    private boolean due() {
        if (queue.isEmpty()) {
            return false;
        }
        return queue.size() >= batchSize || flushing || clock.millis() - oldestQueuedAt >= lingerMs;
    }

    /** Delivers one batch, retrying while the failure may pass; false when interrupted by close before that. */
    private boolean deliver(List<SpecificRecord> batch) {
        List<TelemetryTransport.Rejection> refused;
        try {
            refused = Failsafe.with(retry).get(() -> transport.send(batch));
        } catch (TelemetryTransportException e) {
            // Refused for good as a whole (bad token, malformed request): sending it again would fail the same way.
            synchronized (lock) {
                rejected += batch.size();
            }
            for (SpecificRecord event : batch) {
                listener.rejected(event, e.code(), e.getMessage());
            }
            return true;
        } catch (FailsafeException e) {
            if (e.getCause() instanceof InterruptedException
                    || Thread.currentThread().isInterrupted()) {
                return false;
            }
            throw e;
        }
        synchronized (lock) {
            sent += batch.size() - refused.size();
            rejected += refused.size();
        }
        for (TelemetryTransport.Rejection rejection : refused) {
            listener.rejected(batch.get(rejection.index()), rejection.code(), rejection.reason());
        }
        return true;
    }

    private int inFlightSize() {
        synchronized (lock) {
            return inFlight;
        }
    }

    /**
     * Counts since the client started: events delivered, refused for good, dropped (offline queue full, or left at
     * close), batch retries, events waiting now, and events sent without exposures although flags were evaluated for
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

        private Builder(TelemetryTransport transport, String clientId) {
            this.transport = Objects.requireNonNull(transport, "transport");
            if (clientId == null || clientId.isBlank()) {
                throw new IllegalArgumentException("clientId must not be blank");
            }
            this.clientId = clientId;
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

        /** The app version of events that do not set one. */
        public Builder appVersion(String appVersion) {
            this.appVersion = appVersion;
            return this;
        }

        /**
         * Evaluation context attributes (besides the targeting key, platform and app version) added to every event,
         * under the event's own: the attributes the app's flag rules read (e.g. {@code country}), so metrics-ingest
         * assigns events without exposures to the cohorts the app was served.
         */
        public Builder context(Map<String, String> context) {
            this.context = Map.copyOf(Objects.requireNonNull(context, "context"));
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

        /** The clock of event times and of the linger (the system's UTC clock by default). */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
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
