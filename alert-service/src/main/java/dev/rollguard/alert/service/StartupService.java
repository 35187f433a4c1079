package dev.rollguard.alert.service;

import dev.rollguard.alert.config.AlertConfig;
import dev.rollguard.alert.publisher.AlertHub;
import dev.rollguard.alert.publisher.AlertPublisher;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.vertx.VertxContextSupport;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Brings the service up in order: the default rule pack on the first start, the rules and webhooks into memory,
 * then evaluation; stored alerts wake the outbox relay, SSE subscribers and webhook deliveries.
 */
@ApplicationScoped
public class StartupService {

    private final AlertConfig config;
    private final RuleService rules;
    private final WebhookService webhooks;
    private final RuleEvaluationService evaluation;
    private final AlertPublisher publisher;
    private final AlertHub hub;
    private final WebhookDispatcher dispatcher;
    private final NotificationGrouper grouper;
    private final MaintenanceService maintenance;

    public StartupService(
            AlertConfig config,
            RuleService rules,
            WebhookService webhooks,
            RuleEvaluationService evaluation,
            AlertPublisher publisher,
            AlertHub hub,
            WebhookDispatcher dispatcher,
            NotificationGrouper grouper,
            MaintenanceService maintenance) {
        this.config = config;
        this.rules = rules;
        this.webhooks = webhooks;
        this.evaluation = evaluation;
        this.publisher = publisher;
        this.hub = hub;
        this.dispatcher = dispatcher;
        this.grouper = grouper;
        this.maintenance = maintenance;
    }

    void onStart(@Observes StartupEvent event) throws Throwable {
        VertxContextSupport.subscribeAndAwait(() -> (config.loadDefaultRules()
                        ? rules.loadDefaultPackOnFirstStart()
                        : Uni.createFrom().item(0))
                .chain(rules::refresh)
                .chain(webhooks::refresh));
        evaluation.onAlertsStored(publisher::publishStored);
        evaluation.onAlertsStored(stored -> hub.signal());
        evaluation.onAlertsStored(stored -> grouper.kick());
        evaluation.rulesLoaded();
        publisher.kick();
        dispatcher.kick();
        grouper.kick();
        maintenance.start();
    }
}
