package dev.rollguard.alert.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rollguard.alert.config.AlertConfig;
import dev.rollguard.alert.domain.notify.ActionNotice;
import dev.rollguard.alert.mapping.ConsoleLinks;
import dev.rollguard.alert.mapping.Notification;
import dev.rollguard.alert.mapping.ReceiverPayloads;
import dev.rollguard.alert.repository.ActionNotificationRepository;
import dev.rollguard.alert.repository.ActionNotificationRepository.ActionDelivery;
import dev.rollguard.alert.repository.DataErrors;
import dev.rollguard.alert.service.WebhookRegistry.Receiver;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Notifies the receivers that subscribe to actions of every automatic action: renders the action in each receiver's
 * shape, records it and queues the deliveries in one transaction (an action read twice is notified once), then wakes
 * the {@link WebhookDispatcher}, which sends them like alert notifications (signed, retried, kept when they fail).
 */
@ApplicationScoped
public class ActionNotifier {

    /** The outcome of one action record. */
    public enum Outcome {
        NOTIFIED,
        DUPLICATE,
        DEAD_LETTERED
    }

    /** An action record as read: the action, or why it cannot be read, with where it came from. */
    public record ActionRecord(
            String topic, int partition, long offset, String key, ActionNotice action, String failure, byte[] raw) {}

    static final int MAX_ACTION_ID = 300;
    private static final Duration RETRY_INITIAL_BACKOFF = Duration.ofMillis(100);
    private static final Duration RETRY_MAX_BACKOFF = Duration.ofSeconds(5);

    private final ActionNotificationRepository repository;
    private final WebhookRegistry registry;
    private final WebhookDispatcher dispatcher;
    private final ObjectMapper json;
    private final MeterRegistry meters;
    private final ConsoleLinks links;

    public ActionNotifier(
            ActionNotificationRepository repository,
            WebhookRegistry registry,
            WebhookDispatcher dispatcher,
            AlertConfig config,
            ObjectMapper json,
            MeterRegistry meters) {
        this.repository = repository;
        this.registry = registry;
        this.dispatcher = dispatcher;
        this.json = json;
        this.meters = meters;
        this.links = new ConsoleLinks(config.webhooks().consoleUrl());
    }

    /**
     * Notifies one action record, or dead-letters it (in PostgreSQL, with the reason) when it cannot be read, is
     * invalid, or the database refuses it. Waits for the webhooks to be loaded at start, and for the database while
     * it is unavailable: an action is never dropped for an outage.
     */
    public Uni<Outcome> handle(ActionRecord record) {
        String invalid = record.failure() != null ? record.failure() : invalid(record.action());
        if (invalid != null) {
            return deadLetter(record, invalid);
        }
        return Uni.createFrom()
                .completionStage(registry.loaded())
                .chain(() -> notify(record.action()))
                .onFailure(failure -> !DataErrors.isDataError(failure))
                .invoke(failure -> Log.warnf(
                        "action %s cannot be recorded yet, retrying: %s",
                        record.action().actionId(), failure.getMessage()))
                .onFailure(failure -> !DataErrors.isDataError(failure))
                .retry()
                .withBackOff(RETRY_INITIAL_BACKOFF, RETRY_MAX_BACKOFF)
                .indefinitely()
                .onFailure()
                .recoverWithUni(failure -> deadLetter(record, "cannot be stored: " + DataErrors.describe(failure)));
    }

    private Uni<Outcome> notify(ActionNotice action) {
        List<ActionDelivery> deliveries = new ArrayList<>();
        for (Receiver receiver : registry.receivers()) {
            if (receiver.wantsActions()) {
                for (Notification n : ReceiverPayloads.forAction(
                        receiver.kind(), receiver.routingKey(), receiver.name(), action, links)) {
                    deliveries.add(new ActionDelivery(receiver.id(), n.endpoint(), write(n.body())));
                }
            }
        }
        return repository
                .record(action.topic(), action.actionId(), action.flagKey(), action.action(), deliveries)
                .map(recorded -> {
                    Outcome outcome = recorded ? Outcome.NOTIFIED : Outcome.DUPLICATE;
                    count(action.topic(), outcome);
                    if (recorded && !deliveries.isEmpty()) {
                        dispatcher.kick();
                    }
                    return outcome;
                });
    }

    private Uni<Outcome> deadLetter(ActionRecord record, String reason) {
        Log.warnf(
                "%s record at partition %d offset %d cannot be notified: %s",
                record.topic(), record.partition(), record.offset(), reason);
        return repository
                .deadLetter(
                        record.topic(),
                        record.partition(),
                        record.offset(),
                        record.key(),
                        record.raw(),
                        reason,
                        Instant.now())
                .onFailure()
                .invoke(failure -> Log.warnf("a dead letter cannot be stored yet, retrying: %s", failure.getMessage()))
                .onFailure()
                .retry()
                .withBackOff(RETRY_INITIAL_BACKOFF, RETRY_MAX_BACKOFF)
                .indefinitely()
                .invoke(() -> count(record.topic(), Outcome.DEAD_LETTERED))
                .replaceWith(Outcome.DEAD_LETTERED);
    }

    /** Why a decoded action cannot be notified, or null. */
    static String invalid(ActionNotice action) {
        if (action.actionId() == null || action.actionId().isBlank()) {
            return "invalid action: actionId is empty";
        }
        if (action.actionId().length() > MAX_ACTION_ID) {
            return "invalid action: actionId is longer than " + MAX_ACTION_ID + " characters";
        }
        if (action.flagKey() != null && action.flagKey().length() > 200) {
            return "invalid action: flagKey is longer than 200 characters";
        }
        return null;
    }

    private void count(String topic, Outcome outcome) {
        meters.counter(
                        "rollguard.alert.actions",
                        "topic",
                        topic,
                        "outcome",
                        outcome.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'))
                .increment();
    }

    private String write(Object body) {
        try {
            return json.writeValueAsString(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("an action notification cannot be written as JSON", e);
        }
    }
}
