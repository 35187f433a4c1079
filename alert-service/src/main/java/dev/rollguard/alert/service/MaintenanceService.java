package dev.rollguard.alert.service;

import dev.rollguard.alert.publisher.AlertPublisher;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;
import io.quarkus.vertx.VertxContextSupport;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Instant;

/**
 * Periodic work: the outbox relay and webhook deliveries also run on a timer (after a Kafka or receiver outage, or a
 * restart), notification groups are flushed when due, and silent scopes get their no-data policy applied.
 */
@ApplicationScoped
public class MaintenanceService {

    /** The identity of the scheduled read of rules and subscriptions (a scheduler can pause it by this name). */
    public static final String CONFIG_REFRESH = "config-refresh";

    private final AlertPublisher publisher;
    private final WebhookDispatcher dispatcher;
    private final NotificationGrouper grouper;
    private final RuleEvaluationService evaluation;
    private final RuleService rules;
    private final WebhookService webhooks;
    private final InboundAlertService inbound;
    private volatile boolean started;

    public MaintenanceService(
            AlertPublisher publisher,
            WebhookDispatcher dispatcher,
            NotificationGrouper grouper,
            RuleEvaluationService evaluation,
            RuleService rules,
            WebhookService webhooks,
            InboundAlertService inbound) {
        this.rules = rules;
        this.inbound = inbound;
        this.webhooks = webhooks;
        this.publisher = publisher;
        this.dispatcher = dispatcher;
        this.grouper = grouper;
        this.evaluation = evaluation;
    }

    /** Called once the service is up: before, the Kafka channels may not be wired yet. */
    void start() {
        started = true;
    }

    /** The database pool and Kafka clients close during shutdown: stop waking the relay into them. */
    void stop(@Observes ShutdownEvent event) {
        started = false;
    }

    @Scheduled(every = "${alert-service.relay.interval:1s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void relay() {
        if (!started) {
            return;
        }
        publisher.kick();
        dispatcher.kick();
        grouper.kick();
    }

    /** Rules and subscriptions changed through another instance reach this one within the interval. */
    @Scheduled(
            identity = CONFIG_REFRESH,
            every = "${alert-service.config-refresh-interval:10s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void refresh() {
        if (!started) {
            return;
        }
        try {
            VertxContextSupport.subscribeAndAwait(() -> rules.sync().chain(webhooks::refresh));
        } catch (Throwable failure) {
            Log.warnf("rules and subscriptions not read again: %s", failure.getMessage());
        }
    }

    /** Alerts received from outside whose sender's endsAt passed without a new copy resolve. */
    @Scheduled(
            every = "${alert-service.inbound.expiry-interval:15s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void expireInbound() {
        if (!started) {
            return;
        }
        inbound.expire(Instant.now())
                .subscribe()
                .with(
                        count -> {
                            if (count > 0) {
                                Log.infof("%d alerts received from outside expired and resolved", count);
                            }
                        },
                        failure ->
                                Log.warnf("expiry of alerts received from outside failed: %s", failure.getMessage()));
    }

    @Scheduled(
            every = "${alert-service.evaluation.sweep-interval:30s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void sweep() {
        if (!started) {
            return;
        }
        evaluation
                .sweep()
                .subscribe()
                .with(
                        count -> {
                            if (count > 0) {
                                Log.infof("no-data sweep stored %d alert transitions", count);
                            }
                        },
                        failure -> Log.warnf("no-data sweep failed: %s", failure.getMessage()));
    }
}
