package dev.rollguard.simulator;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.openfeature.contrib.providers.ofrep.OfrepProvider;
import dev.openfeature.contrib.providers.ofrep.OfrepProviderOptions;
import dev.openfeature.sdk.Client;
import dev.openfeature.sdk.FlagEvaluationDetails;
import dev.openfeature.sdk.ImmutableContext;
import dev.openfeature.sdk.NoOpProvider;
import dev.openfeature.sdk.OpenFeatureAPI;
import dev.rollguard.client.ExposureHook;
import dev.rollguard.client.Exposures;
import dev.rollguard.client.TelemetryClient;
import dev.rollguard.client.TelemetryTransport;
import dev.rollguard.schemas.event.SyncEvent;
import dev.rollguard.schemas.event.UploadEvent;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The virtual clients as an app adopting Rollguard runs: flags evaluated one by one with the OpenFeature Java SDK and
 * its OFREP provider, the variants recorded by the Rollguard {@link ExposureHook}, and telemetry sent through the
 * Rollguard {@link TelemetryClient}, which attaches them (over HTTP to metrics-ingest or to Kafka). The simulator's
 * own path (a bulk OFREP lookup and its own Kafka producer, with exact broker acknowledgements) stays the default:
 * the closed-loop demo counts on it.
 */
public final class ClientLibraryPath implements AutoCloseable {

    private static final AtomicInteger INSTANCES = new AtomicInteger();

    /** An OpenFeature domain of its own, so that it leaves the default provider and other simulators alone. */
    private final String domain = "rollguard-simulator-" + INSTANCES.incrementAndGet();

    private final Set<String> flagKeys;
    private final Client flags;
    private final TelemetryClient telemetry;

    /**
     * @param flagKeys the boolean flags each virtual client evaluates (one OFREP request per flag and client)
     * @param transport where the telemetry client delivers
     */
    public ClientLibraryPath(
            String flagServiceUrl, String clientToken, Set<String> flagKeys, TelemetryTransport transport) {
        if (flagKeys.isEmpty()) {
            throw new IllegalArgumentException("the client library evaluates named flags: give at least one");
        }
        this.flagKeys = Set.copyOf(flagKeys);
        Exposures exposures = new Exposures(100_000);
        OpenFeatureAPI.getInstance()
                .setProviderAndWait(
                        domain,
                        OfrepProvider.constructProvider(OfrepProviderOptions.builder()
                                .baseUrl(flagServiceUrl.replaceAll("/+$", ""))
                                .headers(ImmutableMap.of("Authorization", ImmutableList.of("Bearer " + clientToken)))
                                .build()));
        this.flags = OpenFeatureAPI.getInstance().getClient(domain);
        flags.addHooks(new ExposureHook(exposures));
        this.telemetry = TelemetryClient.builder(transport, "rollguard-simulator")
                .exposures(exposures)
                .maxQueuedEvents(100_000)
                .build();
    }

    /** Evaluates the flags for {@code userId}; the variants served (a flag that failed to evaluate is left out). */
    Map<String, String> variants(String userId) {
        Map<String, String> served = new HashMap<>();
        ImmutableContext context = new ImmutableContext(userId);
        for (String key : flagKeys) {
            FlagEvaluationDetails<Boolean> details = flags.getBooleanDetails(key, false, context);
            if (details.getErrorCode() == null && details.getVariant() != null) {
                served.put(key, details.getVariant());
            }
        }
        return served;
    }

    /** Queues a sync event; the client attaches what its user was served. */
    void send(SyncEvent.Builder event) {
        telemetry.send(event);
    }

    /** Queues an upload event; the client attaches what its user was served. */
    void send(UploadEvent.Builder event) {
        telemetry.send(event);
    }

    /** Delivers what is queued, waiting at most {@code timeout}; whether everything was delivered. */
    boolean flush(Duration timeout) {
        try {
            return telemetry.flush(timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Events the receiver refused or the client gave up (queue full, closed before delivery). */
    long undelivered() {
        TelemetryClient.Stats stats = telemetry.stats();
        return stats.rejected() + stats.dropped();
    }

    @Override
    public void close() {
        telemetry.close();
        // Replacing the provider shuts the OFREP provider down.
        OpenFeatureAPI.getInstance().setProvider(domain, new NoOpProvider());
    }
}
