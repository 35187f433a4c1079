package dev.rollguard.alert.service;

import dev.rollguard.alert.config.AlertConfig;
import dev.rollguard.alert.config.InstanceIdentity;
import dev.rollguard.alert.publisher.WebhookSender;
import dev.rollguard.alert.publisher.WebhookSender.DeliveryFailedException;
import dev.rollguard.alert.repository.DeliveryRepository;
import dev.rollguard.alert.repository.DeliveryRepository.DeliveryRow;
import dev.rollguard.alert.service.WebhookRegistry.Receiver;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Delivers pending webhook deliveries. Each delivery runs on its own non-blocking pipeline with a per-attempt
 * timeout and retries with exponential backoff and jitter (Mutiny's retry operator); at most a few per receiver are
 * in flight, so a slow or dead receiver never delays the others, and evaluation never waits for any of them. A
 * delivery that exhausts its retries is kept as FAILED, with the last status and error, for inspection and
 * redelivery. Deliveries still pending after a restart are picked up again.
 *
 * <p>Several instances share the queue: each takes the deliveries it sends for a lease ({@code
 * webhooks.claim-lease}), so one delivery is sent by one instance; those of an instance that crashed are taken over
 * when its lease ends.
 */
@ApplicationScoped
public class WebhookDispatcher {

    private final DeliveryRepository deliveries;
    private final WebhookRegistry registry;
    private final WebhookSender sender;
    private final AlertConfig config;
    private final MeterRegistry meters;
    private final String instance;
    private final Set<Long> inFlight = ConcurrentHashMap.newKeySet();
    private final ConcurrentHashMap<String, AtomicInteger> perReceiver = new ConcurrentHashMap<>();
    private final AtomicBoolean scanning = new AtomicBoolean();
    private final AtomicBoolean rescan = new AtomicBoolean();

    public WebhookDispatcher(
            DeliveryRepository deliveries,
            WebhookRegistry registry,
            WebhookSender sender,
            AlertConfig config,
            MeterRegistry meters,
            InstanceIdentity identity) {
        this.instance = identity.id();
        this.deliveries = deliveries;
        this.registry = registry;
        this.sender = sender;
        this.config = config;
        this.meters = meters;
    }

    /** Looks for pending deliveries and starts those whose receiver has room. */
    public void kick() {
        rescan.set(true);
        if (!scanning.compareAndSet(false, true)) {
            return;
        }
        rescan.set(false);
        List<String> receivers = registry.receivers().stream().map(Receiver::id).toList();
        if (receivers.isEmpty()) {
            scanning.set(false);
            return;
        }
        deliveries
                .claim(
                        config.webhooks().maxInFlightPerReceiver(),
                        receivers,
                        List.copyOf(inFlight),
                        instance,
                        Instant.now().plus(config.webhooks().claimLease()))
                .subscribe()
                .with(
                        rows -> {
                            rows.forEach(this::dispatch);
                            scanned();
                        },
                        failure -> {
                            Log.warnf("cannot read pending webhook deliveries: %s", failure.getMessage());
                            rescan.set(false);
                            scanned();
                        });
    }

    private void scanned() {
        scanning.set(false);
        if (rescan.get()) {
            kick();
        }
    }

    private void dispatch(DeliveryRow row) {
        Receiver receiver = registry.receiver(row.webhookId());
        if (receiver == null) {
            return;
        }
        AtomicInteger slots = perReceiver.computeIfAbsent(receiver.id(), id -> new AtomicInteger());
        if (slots.incrementAndGet() > config.webhooks().maxInFlightPerReceiver()) {
            slots.decrementAndGet();
            return;
        }
        if (!inFlight.add(row.id())) {
            slots.decrementAndGet();
            return;
        }
        AtomicInteger attempts = new AtomicInteger();
        AtomicReference<Integer> lastStatus = new AtomicReference<>();
        Uni.createFrom()
                .deferred(() -> {
                    attempts.incrementAndGet();
                    return sender.post(receiver.target(row.endpoint()), receiver.secret(), row.id(), row.payload())
                            .onFailure(DeliveryFailedException.class)
                            .invoke(f -> lastStatus.set(((DeliveryFailedException) f).statusCode()));
                })
                .onFailure(WebhookDispatcher::retryable)
                .retry()
                .withBackOff(
                        config.webhooks().initialBackoff(), config.webhooks().maxBackoff())
                .atMost(config.webhooks().maxRetries())
                .onItemOrFailure()
                .transformToUni((status, failure) -> {
                    boolean delivered = failure == null;
                    meters.counter("rollguard.alert.webhook.deliveries", "outcome", delivered ? "delivered" : "failed")
                            .increment();
                    if (!delivered) {
                        Log.warnf(
                                "webhook %s: delivery %d failed after %d attempts: %s",
                                receiver.name(), row.id(), attempts.get(), failure.getMessage());
                    }
                    return deliveries.finish(
                            row.id(),
                            delivered,
                            !delivered && retryable(failure),
                            attempts.get(),
                            delivered ? status : lastStatus.get(),
                            delivered ? null : describe(failure));
                })
                .subscribe()
                .with(ignored -> release(row, slots), failure -> {
                    Log.errorf(failure, "cannot record the outcome of webhook delivery %d", row.id());
                    release(row, slots);
                });
    }

    private void release(DeliveryRow row, AtomicInteger slots) {
        inFlight.remove(row.id());
        slots.decrementAndGet();
        kick();
    }

    /** Client errors other than timeouts and rate limits will not get better by retrying. */
    private static boolean retryable(Throwable failure) {
        if (failure instanceof DeliveryFailedException failed) {
            int status = failed.statusCode();
            return status >= 500 || status == 408 || status == 429;
        }
        return true;
    }

    private static String describe(Throwable failure) {
        String message = failure.getMessage();
        String text = message == null ? failure.getClass().getSimpleName() : message;
        return text.length() > 1000 ? text.substring(0, 1000) : text;
    }
}
