package dev.rollguard.rollback.client;

import dev.rollguard.rollback.client.AlertServiceApi.AlertTransitionBody;
import dev.rollguard.rollback.config.GuardConfig;
import dev.rollguard.rollback.domain.AlertStanding;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.core.GenericType;
import java.util.List;

/**
 * Asks the alert-service whether an alert still fires: an alert read late (this service down or behind, or a new
 * consumer reading the topic from its start) may have resolved since, and a resolved alert changes no flag.
 */
@ApplicationScoped
public class AlertStandingClient {

    private final AlertServiceApi alerts;
    private final String authorization;

    public AlertStandingClient(GuardConfig config) {
        this.alerts = AlertServiceApi.build(config);
        this.authorization = "Bearer " + config.tokens().service();
    }

    /**
     * Whether the alert of this fingerprint fires now, by its latest transition at the alert-service: {@link
     * AlertStanding#ENDED} once the alert-service recorded its resolution; {@link AlertStanding#UNKNOWN} when it
     * cannot say (unreachable, an answer other than 200, or an alert it never had, published on the topic by another
     * producer), so that neither its outage nor another producer's alert is ever held back.
     */
    public Uni<AlertStanding> standing(String fingerprint) {
        return alerts.latest(fingerprint, "history", 1, authorization)
                .map(response -> {
                    if (response.getStatus() != 200) {
                        Log.warnf(
                                "alert-service answered %d for the alert %s: acting on it as read",
                                response.getStatus(), fingerprint);
                        return AlertStanding.UNKNOWN;
                    }
                    List<AlertTransitionBody> latest =
                            response.readEntity(new GenericType<List<AlertTransitionBody>>() {});
                    if (latest.isEmpty() || !fingerprint.equals(latest.get(0).fingerprint())) {
                        return AlertStanding.UNKNOWN;
                    }
                    return "RESOLVED".equals(latest.get(0).status()) ? AlertStanding.ENDED : AlertStanding.FIRING;
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
