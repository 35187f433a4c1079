package dev.rollguard.simulator;

import dev.rollguard.schemas.Topics;
import dev.rollguard.schemas.event.FlagExposure;
import dev.rollguard.schemas.event.Platform;
import dev.rollguard.schemas.event.SyncEvent;
import dev.rollguard.schemas.event.SyncKind;
import dev.rollguard.schemas.event.UploadEvent;
import dev.rollguard.schemas.serde.AvroCodec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Virtual clients that look up their flags like an SDK and publish sync and upload telemetry to Kafka, failing and
 * slowing down as the {@link HealthModel} says for the variants they are served. Every record is acknowledged by the
 * broker before it is counted, so "sent" can be compared exactly with what the pipeline counted. In client-library
 * mode ({@link ClientLibraryPath}) the clients evaluate and report through the OpenFeature SDK and the Rollguard Java
 * client instead, as an app does.
 */
public final class TelemetrySimulator implements AutoCloseable {

    /**
     * @param clients number of virtual clients (one user each)
     * @param eventsPerSecond telemetry events per second over all clients
     * @param uploadShare share of events that are uploads (the rest are syncs)
     * @param duplicateShare share of events delivered twice with the same event id (offline-queue retries)
     * @param flagRefresh how often each client re-evaluates its flags
     * @param flagKeys the flags whose variants clients report as exposures (all served flags when empty)
     * @param internalUsers targeting keys of the first clients (an allow-list typically names them)
     * @param seed random seed, for repeatable runs
     */
    public record Settings(
            int clients,
            double eventsPerSecond,
            double uploadShare,
            double duplicateShare,
            Duration flagRefresh,
            Set<String> flagKeys,
            List<String> internalUsers,
            long seed) {}

    private static final String[] TABLES = {"entries", "attachments", "settings", "comments"};
    private static final Platform[] PLATFORMS = {Platform.WEB, Platform.IOS, Platform.ANDROID, Platform.DESKTOP};
    private static final String[] ERRORS = {"TIMEOUT", "NETWORK", "CONFLICT", "SERVER_ERROR"};

    private final Settings settings;
    private final HealthModel health;
    private final FlagLookup flags;
    private final Producer<String, byte[]> producer;
    /** Set in client-library mode, instead of {@link #flags} and {@link #producer}. */
    private final ClientLibraryPath library;

    private final List<VirtualClient> clients = new ArrayList<>();
    private final Random random;
    private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2, daemon("simulator"));
    private final ExecutorService lookups = Executors.newFixedThreadPool(8, daemon("simulator-lookup"));

    private final LongAdder acked = new LongAdder();
    private final LongAdder duplicatesAcked = new LongAdder();
    private final LongAdder sendFailures = new LongAdder();
    private final LongAdder lookupFailures = new LongAdder();
    private final AtomicLong inFlight = new AtomicLong();
    private final ConcurrentSkipListMap<Long, LongAdder> ackedBySecond = new ConcurrentSkipListMap<>();
    private final Map<String, LongAdder> ackedByExposure = new ConcurrentHashMap<>();
    private double carry;
    private long lastTickNanos;

    public TelemetrySimulator(Settings settings, HealthModel health, FlagLookup flags, String kafkaBootstrap) {
        this(settings, health, flags, producer(kafkaBootstrap), null);
    }

    /**
     * Client-library mode: the clients evaluate their flags ({@link Settings#flagKeys()}) and send their telemetry
     * through the Rollguard Java client as an app does. "Acknowledged" then counts the events handed to the client;
     * {@link #stop()} waits until it delivered them, and {@link #sendFailures()} counts those it could not deliver.
     */
    public TelemetrySimulator(Settings settings, HealthModel health, ClientLibraryPath library) {
        this(settings, health, null, null, library);
    }

    private TelemetrySimulator(
            Settings settings,
            HealthModel health,
            FlagLookup flags,
            Producer<String, byte[]> producer,
            ClientLibraryPath library) {
        this.settings = settings;
        this.health = health;
        this.flags = flags;
        this.random = new Random(settings.seed());
        this.producer = producer;
        this.library = library;
        for (int i = 0; i < settings.clients(); i++) {
            String user = i < settings.internalUsers().size()
                    ? settings.internalUsers().get(i)
                    : "user-%05d@sim.rollguard.dev".formatted(i);
            clients.add(new VirtualClient(
                    "client-%05d".formatted(i), user, PLATFORMS[i % PLATFORMS.length], TABLES[i % TABLES.length]));
        }
    }

    private static Producer<String, byte[]> producer(String kafkaBootstrap) {
        return new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        kafkaBootstrap,
                        ProducerConfig.ACKS_CONFIG,
                        "all",
                        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                        true,
                        ProducerConfig.LINGER_MS_CONFIG,
                        5,
                        ProducerConfig.CLIENT_ID_CONFIG,
                        "rollguard-simulator"),
                new StringSerializer(),
                new ByteArraySerializer());
    }

    /** Evaluates every client's flags once, then starts publishing and refreshing. */
    public void start() {
        refreshAll();
        lastTickNanos = System.nanoTime();
        scheduler.scheduleAtFixedRate(this::tick, 50, 50, TimeUnit.MILLISECONDS);
        long refreshMs = Math.max(100, settings.flagRefresh().toMillis());
        scheduler.scheduleAtFixedRate(this::refreshDue, refreshMs, 100, TimeUnit.MILLISECONDS);
    }

    /** Re-evaluates every client's flags now, as clients do when the change stream says flags changed. */
    public void refreshAll() {
        var futures =
                clients.stream().map(c -> lookups.submit(() -> refresh(c))).toList();
        for (var f : futures) {
            try {
                f.get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                lookupFailures.increment();
            }
        }
    }

    private void refreshDue() {
        long now = System.nanoTime();
        long period = settings.flagRefresh().toNanos();
        for (VirtualClient c : clients) {
            if (now - c.lastRefreshNanos >= period && !c.refreshing) {
                c.refreshing = true;
                lookups.submit(() -> refresh(c));
            }
        }
    }

    private void refresh(VirtualClient client) {
        try {
            client.served = Map.copyOf(
                    library == null
                            ? flags.variants(client.userId, settings.flagKeys())
                            : library.variants(client.userId));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            lookupFailures.increment();
        } finally {
            client.lastRefreshNanos = System.nanoTime();
            client.refreshing = false;
        }
    }

    private synchronized void tick() {
        long now = System.nanoTime();
        carry += settings.eventsPerSecond() * (now - lastTickNanos) / 1e9;
        lastTickNanos = now;
        int due = (int) carry;
        carry -= due;
        for (int i = 0; i < due; i++) {
            VirtualClient client = clients.get(random.nextInt(clients.size()));
            boolean upload = random.nextDouble() < settings.uploadShare();
            publish(client, upload);
        }
    }

    private void publish(VirtualClient client, boolean upload) {
        Map<String, String> served = client.served;
        if (health.silent(served)) {
            return;
        }
        HealthModel.Kind kind = upload ? HealthModel.Kind.UPLOAD : HealthModel.Kind.SYNC;
        boolean success = random.nextDouble() >= health.failureRate(served, kind);
        long duration = Math.max(
                1,
                Math.round(health.medianMillis() * Math.exp(0.5 * random.nextGaussian())
                        + health.extraMillis(served, kind)));
        Instant eventTime = Instant.ofEpochMilli(System.currentTimeMillis());
        List<FlagExposure> exposures = served.entrySet().stream()
                .map(e -> FlagExposure.newBuilder()
                        .setFlagKey(e.getKey())
                        .setVariant(e.getValue())
                        .build())
                .toList();
        String error = success ? null : ERRORS[random.nextInt(ERRORS.length)];
        long storageQuota = 500L * 1024 * 1024;
        long storageUsed = (long) (storageQuota * (0.2 + 0.5 * random.nextDouble()));
        int pending = (int) Math.round(random.nextInt(success ? 20 : 200) * health.pendingFactor(served, kind));
        String topic;
        byte[] value;
        if (upload) {
            topic = Topics.TELEMETRY_UPLOAD;
            long bytes = 10_000L + random.nextInt(2_000_000);
            UploadEvent.Builder event = UploadEvent.newBuilder()
                    .setEventId(UUID.randomUUID().toString())
                    .setEventTime(eventTime)
                    .setClientId(client.clientId)
                    .setUserId(client.userId)
                    .setSessionId(client.sessionId)
                    .setPlatform(client.platform)
                    .setAppVersion("4.2.0")
                    .setTable(client.table)
                    .setSuccess(success)
                    .setDurationMs(duration)
                    .setBytes(success ? bytes : 0)
                    .setQuotaExceeded(false)
                    .setErrorCode(error)
                    .setErrorMessage(error == null ? null : "upload failed: " + error.toLowerCase())
                    .setStorageUsedBytes(storageUsed)
                    .setStorageQuotaBytes(storageQuota)
                    .setPendingMutations(pending)
                    .setFailedMutations(success ? 0 : 1 + random.nextInt(3))
                    .setSyncQueueLength(random.nextInt(5));
            if (library != null) {
                handOver(() -> library.send(event), eventTime, served);
                return;
            }
            value = AvroCodec.of(UploadEvent.class)
                    .encode(event.setExposures(exposures).build());
        } else {
            topic = Topics.TELEMETRY_SYNC;
            SyncEvent.Builder event = SyncEvent.newBuilder()
                    .setEventId(UUID.randomUUID().toString())
                    .setEventTime(eventTime)
                    .setClientId(client.clientId)
                    .setUserId(client.userId)
                    .setSessionId(client.sessionId)
                    .setPlatform(client.platform)
                    .setAppVersion("4.2.0")
                    .setSyncKind(SyncKind.INCREMENTAL)
                    .setTable(client.table)
                    .setSuccess(success)
                    .setDurationMs(duration)
                    .setRecordsSynced(success ? random.nextInt(500) : 0)
                    .setErrorCode(error)
                    .setErrorMessage(error == null ? null : "sync failed: " + error.toLowerCase())
                    .setStorageUsedBytes(storageUsed)
                    .setStorageQuotaBytes(storageQuota)
                    .setPendingMutations(pending)
                    .setFailedMutations(success ? 0 : 1 + random.nextInt(3))
                    .setSyncQueueLength(random.nextInt(5));
            if (library != null) {
                handOver(() -> library.send(event), eventTime, served);
                return;
            }
            value = AvroCodec.of(SyncEvent.class)
                    .encode(event.setExposures(exposures).build());
        }
        send(topic, client.clientId, value, eventTime, served, false);
        if (random.nextDouble() < settings.duplicateShare()) {
            send(topic, client.clientId, value, eventTime, served, true);
        }
    }

    private void send(
            String topic, String key, byte[] value, Instant eventTime, Map<String, String> served, boolean duplicate) {
        inFlight.incrementAndGet();
        producer.send(new ProducerRecord<>(topic, key, value), (metadata, error) -> {
            inFlight.decrementAndGet();
            if (error != null) {
                sendFailures.increment();
            } else {
                acknowledged(eventTime, served, duplicate);
            }
        });
    }

    /**
     * Client-library mode: hands the event to the Rollguard client (which attaches the exposures its hook recorded),
     * and again, the same event under the same id, for the duplicate share (an app's retry after a lost answer).
     */
    private void handOver(Runnable send, Instant eventTime, Map<String, String> served) {
        send.run();
        acknowledged(eventTime, served, false);
        if (random.nextDouble() < settings.duplicateShare()) {
            send.run();
            acknowledged(eventTime, served, true);
        }
    }

    private void acknowledged(Instant eventTime, Map<String, String> served, boolean duplicate) {
        if (duplicate) {
            duplicatesAcked.increment();
            return;
        }
        acked.increment();
        ackedBySecond
                .computeIfAbsent(eventTime.getEpochSecond(), s -> new LongAdder())
                .increment();
        served.forEach((flag, variant) -> ackedByExposure
                .computeIfAbsent(flag + "=" + variant, k -> new LongAdder())
                .increment());
    }

    /** Stops publishing and waits until every record sent is acknowledged (or failed). */
    public void stop() {
        scheduler.shutdownNow();
        try {
            scheduler.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (library != null) {
            library.flush(Duration.ofSeconds(30));
        } else {
            producer.flush();
        }
    }

    /** Distinct events the broker acknowledged (in client-library mode: handed to the Rollguard client). */
    public long acked() {
        return acked.sum();
    }

    /** Distinct events acknowledged whose event time falls in {@code [from, to)}, at one-second granularity. */
    public long ackedBetween(Instant from, Instant to) {
        long sum = 0;
        for (var e : ackedBySecond
                .subMap(from.getEpochSecond(), true, to.getEpochSecond(), false)
                .entrySet()) {
            sum += e.getValue().sum();
        }
        return sum;
    }

    /** Distinct events acknowledged from clients served {@code variant} of {@code flagKey}. */
    public long ackedWithExposure(String flagKey, String variant) {
        LongAdder adder = ackedByExposure.get(flagKey + "=" + variant);
        return adder == null ? 0 : adder.sum();
    }

    public long duplicatesAcked() {
        return duplicatesAcked.sum();
    }

    public long sendFailures() {
        return sendFailures.sum() + (library == null ? 0 : library.undelivered());
    }

    public long lookupFailures() {
        return lookupFailures.sum();
    }

    /** How many clients are currently served {@code variant} of {@code flagKey}. */
    public long clientsServed(String flagKey, String variant) {
        return clients.stream()
                .filter(c -> variant.equals(c.served.get(flagKey)))
                .count();
    }

    public int clientCount() {
        return clients.size();
    }

    @Override
    public void close() {
        stop();
        lookups.shutdownNow();
        if (library != null) {
            library.close();
        } else {
            producer.close(Duration.ofSeconds(5));
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicLong n = new AtomicLong();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    private static final class VirtualClient {
        final String clientId;
        final String userId;
        final String sessionId = UUID.randomUUID().toString();
        final Platform platform;
        final String table;
        volatile Map<String, String> served = Map.of();
        volatile long lastRefreshNanos = System.nanoTime();
        volatile boolean refreshing;

        VirtualClient(String clientId, String userId, Platform platform, String table) {
            this.clientId = clientId;
            this.userId = userId;
            this.platform = platform;
            this.table = table;
        }
    }
}
