package dev.rollguard.alert.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rollguard.alert.config.AlertConfig;
import dev.rollguard.alert.domain.grouping.GroupPolicy;
import dev.rollguard.alert.domain.grouping.GroupPolicy.Flush;
import dev.rollguard.alert.domain.silence.Silence;
import dev.rollguard.alert.mapping.ConsoleLinks;
import dev.rollguard.alert.mapping.ReceiverPayloads;
import dev.rollguard.alert.mapping.WebhookPayload;
import dev.rollguard.alert.repository.NotificationGroupRepository;
import dev.rollguard.alert.repository.NotificationGroupRepository.ClaimedGroup;
import dev.rollguard.alert.repository.NotificationGroupRepository.Flushed;
import dev.rollguard.alert.repository.NotificationGroupRepository.Member;
import dev.rollguard.alert.repository.NotificationGroupRepository.Outcome;
import dev.rollguard.alert.repository.NotificationGroupRepository.Outgoing;
import dev.rollguard.alert.service.WebhookRegistry.Receiver;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Turns notification groups into webhook deliveries when they are due ({@link GroupPolicy}): runs after every stored
 * batch of alerts and on the relay's timer, claims due groups in PostgreSQL, and hands the deliveries it wrote to the
 * {@link WebhookDispatcher}, each in the shape of its receiver's kind ({@link ReceiverPayloads}). Only webhook notifications wait here; the alerts topic, SSE and the rollback path get
 * every transition as soon as it is stored.
 */
@ApplicationScoped
public class NotificationGrouper {

    private static final int GROUPS_PER_ROUND = 100;
    private static final TypeReference<Map<String, String>> LABELS = new TypeReference<>() {};

    private final NotificationGroupRepository groups;
    private final SilenceService silences;
    private final WebhookRegistry registry;
    private final WebhookDispatcher dispatcher;
    private final AlertConfig config;
    private final ObjectMapper json;
    private final MeterRegistry meters;
    private final ConsoleLinks links;
    private final AtomicBoolean flushing = new AtomicBoolean();
    private final AtomicBoolean again = new AtomicBoolean();

    public NotificationGrouper(
            NotificationGroupRepository groups,
            SilenceService silences,
            WebhookRegistry registry,
            WebhookDispatcher dispatcher,
            AlertConfig config,
            ObjectMapper json,
            MeterRegistry meters) {
        this.groups = groups;
        this.silences = silences;
        this.registry = registry;
        this.dispatcher = dispatcher;
        this.config = config;
        this.json = json;
        this.meters = meters;
        this.links = new ConsoleLinks(config.webhooks().consoleUrl());
    }

    /** Flushes the groups that are due; one round at a time, another one after it when asked meanwhile. */
    public void kick() {
        again.set(true);
        if (!flushing.compareAndSet(false, true)) {
            return;
        }
        again.set(false);
        flush(Instant.now())
                .subscribe()
                .with(
                        flushed -> {
                            if (flushed.claimed() == GROUPS_PER_ROUND) {
                                again.set(true);
                            }
                            done();
                        },
                        failure -> {
                            Log.warnf("cannot flush webhook notification groups: %s", failure.getMessage());
                            again.set(false);
                            done();
                        });
    }

    /**
     * One round: claims up to a hundred groups of the enabled webhooks due at {@code now} and writes their
     * notifications. Everything it decides from is in PostgreSQL, so any instance, or the same one after a restart,
     * takes over where another stopped.
     */
    public Uni<Flushed> flush(Instant now) {
        List<String> receivers = registry.receivers().stream().map(Receiver::id).toList();
        if (receivers.isEmpty()) {
            return Uni.createFrom().item(new Flushed(0, 0));
        }
        // Silences are read afresh every round, so one made at any instance holds from the next flush on.
        return silences.active(now)
                .chain(active -> {
                    // Counted and logged once the round's transaction committed: a round that rolls back (a lost lock,
                    // a serialization failure) is decided again by a later one, which would count it a second time.
                    List<Runnable> afterCommit = new ArrayList<>();
                    return groups.flush(
                                    receivers, now, GROUPS_PER_ROUND, group -> decide(group, active, now, afterCommit))
                            .invoke(() -> runEach(afterCommit));
                })
                .invoke(flushed -> {
                    if (flushed.notifications() > 0) {
                        dispatcher.kick();
                    }
                });
    }

    /**
     * Runs each action on its own: one that fails (a meter registry's fault) is logged and keeps neither the others
     * nor the round's completion, whose transaction committed already, from running.
     */
    private static void runEach(List<Runnable> actions) {
        for (Runnable action : actions) {
            try {
                action.run();
            } catch (RuntimeException e) {
                Log.error("an action after a notification round's commit failed", e);
            }
        }
    }

    private void done() {
        flushing.set(false);
        if (again.get()) {
            kick();
        }
    }

    /**
     * What to do with one claimed group; what is to be counted and logged of it goes to {@code afterCommit}, run only
     * once the round's transaction committed.
     */
    private Outcome decide(ClaimedGroup group, List<Silence> active, Instant now, List<Runnable> afterCommit) {
        Receiver receiver = registry.receiver(group.webhookId());
        if (receiver == null || group.members().isEmpty()) {
            // A webhook disabled since the claim keeps its group for when it is enabled again.
            return Outcome.unnotified(
                    receiver == null ? now.plus(GroupPolicy.DEFAULT_GROUP_INTERVAL) : null, List.of());
        }
        GroupPolicy grouping = receiver.grouping();
        List<Member> dropped = new ArrayList<>();
        List<Member> silencedResolved = new ArrayList<>();
        List<WebhookPayload.Alert> alerts = new ArrayList<>();
        // The member of each alert the notification may carry, by identity: the payload lists the very objects.
        Map<WebhookPayload.Alert, Member> sendable = new IdentityHashMap<>();
        boolean silencedFiring = false;
        for (Member member : group.members()) {
            WebhookPayload.Alert alert = read(member.alert(), WebhookPayload.Alert.class);
            if (Silence.anySilences(active, alert.labels(), now)) {
                // Left out of the notification only. A group left unnotified keeps its pending change and is looked
                // at again every group interval while a silenced alert fires, so the first flush after the silence
                // ends notifies it. A silenced resolution is never dropped (so never counted as dropped): it goes
                // with the group's notification, or with the group.
                silencedFiring |= member.firing();
                if (!member.firing()) {
                    silencedResolved.add(member);
                }
            } else if (!member.firing()
                    && !member.pending()
                    && !grouping.stillCarries(member.changedAt(), member.carriedAt())) {
                // Only a notification that carried it counts, and not while one that lists it is pending: its
                // delivery forgets the alert, its failure releases it.
                dropped.add(member);
            } else {
                alerts.add(alert);
                sendable.put(alert, member);
            }
        }
        if (!dropped.isEmpty()) {
            int count = dropped.size();
            afterCommit.add(() -> {
                meters.counter("rollguard.alert.webhook.resolutions.dropped").increment(count);
                Log.warnf(
                        "webhook %s: group %s stops carrying %d resolved alert(s) not delivered within the repeat"
                                + " interval (%s) of resolving",
                        receiver.name(), group.groupKey(), count, grouping.repeatInterval());
            });
        }
        // While a silenced alert fires the group lives on, looked at every group interval: finished (or waiting for
        // its final notification only) it would be forgotten with that alert, never notified after the silence.
        Instant whileSilenced = silencedFiring ? now.plus(grouping.groupInterval()) : null;
        if (alerts.isEmpty()) {
            return Outcome.unnotified(whileSilenced, dropped);
        }
        boolean firing = alerts.stream().anyMatch(WebhookPayload.Alert::firing);
        Flush flush = grouping.decide(group.dirty(), group.lastNotifiedAt(), firing, now);
        Instant next = flush.nextFlushAt() == null ? whileSilenced : flush.nextFlushAt();
        if (!flush.send()) {
            return Outcome.unnotified(next, dropped);
        }
        String reason = group.dirty() ? "changed" : "repeat";
        afterCommit.add(() -> meters.counter("rollguard.alert.webhook.notifications", "reason", reason)
                .increment());
        WebhookPayload payload = WebhookPayload.group(
                group.groupKey(),
                read(group.groupLabels(), LABELS),
                alerts,
                receiver.name(),
                links,
                ReceiverPayloads.maxAlerts(receiver.kind(), config.webhooks().maxAlertsPerNotification()));
        // Only what the payload lists is carried: an alert cut by max_alerts, or beyond what a Slack message shows, is
        // neither forgotten nor dropped for it.
        List<Member> carried = payload.alerts().stream().map(sendable::get).toList();
        List<Outgoing> deliveries = ReceiverPayloads.forGroup(
                        receiver.kind(), receiver.routingKey(), payload, links, now, grouping.repeatInterval())
                .stream()
                .map(n -> new Outgoing(n.endpoint(), write(n.body())))
                .toList();
        return new Outcome(deliveries, carried, silencedResolved, next, dropped);
    }

    private <T> T read(String text, Class<T> type) {
        try {
            return json.readValue(text, type);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored notification group is not valid JSON", e);
        }
    }

    private <T> T read(String text, TypeReference<T> type) {
        try {
            return json.readValue(text, type);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored notification group is not valid JSON", e);
        }
    }

    private String write(Object value) {
        try {
            return json.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("webhook payload cannot be written as JSON", e);
        }
    }
}
