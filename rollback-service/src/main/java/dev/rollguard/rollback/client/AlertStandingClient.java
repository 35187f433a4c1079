package dev.rollguard.rollback.client;

import dev.rollguard.rollback.client.ActiveAlertsApi.ActiveAlertBody;
import dev.rollguard.rollback.config.GuardConfig;
import dev.rollguard.rollback.domain.AlertStanding;
import io.quarkus.logging.Log;
import io.quarkus.rest.client.reactive.QuarkusRestClientBuilder;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.core.GenericType;
import java.net.URI;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Asks the alert-service whether an alert still fires: an alert read late (this service down or behind, or a new
 * consumer reading the topic from its start) may have resolved since, and a resolved alert changes no flag.
 */
@ApplicationScoped
public class AlertStandingClient {

    private final ActiveAlertsApi alerts;
    private final String authorization;

    public AlertStandingClient(GuardConfig config) {
        GuardConfig.Promotion.AlertService alertService = config.promotion().alertService();
        this.alerts = QuarkusRestClientBuilder.newBuilder()
                .baseUri(URI.create(alertService.url()))
                .connectTimeout(alertService.connectTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .readTimeout(alertService.readTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .disableDefaultMapper(true)
                .build(ActiveAlertsApi.class);
        this.authorization = "Bearer " + config.tokens().service();
    }

    /**
     * Whether the alert of this fingerprint fires now; {@link AlertStanding#UNKNOWN} when the alert-service cannot
     * say (unreachable, or an answer other than 200), so that its outage never holds a kill back.
     */
    public Uni<AlertStanding> standing(String fingerprint) {
        return alerts.firing(fingerprint, authorization)
                .map(response -> {
                    if (response.getStatus() != 200) {
                        Log.warnf(
                                "alert-service answered %d for the alert %s: acting on it as read",
                                response.getStatus(), fingerprint);
                        return AlertStanding.UNKNOWN;
                    }
                    List<ActiveAlertBody> active = response.readEntity(new GenericType<List<ActiveAlertBody>>() {});
                    boolean firing = active.stream()
                            .anyMatch(a -> fingerprint.equals(a.fingerprint()) && !"RESOLVED".equals(a.status()));
                    return firing ? AlertStanding.FIRING : AlertStanding.ENDED;
                })
                .onFailure()
                .recoverWithItem(failure -> {
                    Log.warnf(
                            "alert-service unreachable for the alert %s (%s): acting on it as read",
                            fingerprint, failure.getMessage());
                    return AlertStanding.UNKNOWN;
                });
    }
}
