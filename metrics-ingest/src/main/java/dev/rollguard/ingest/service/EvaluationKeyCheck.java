package dev.rollguard.ingest.service;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Shows in {@code /q/health} the flags whose events without exposures mostly come from subjects the flag-service
 * never evaluated them for ({@link EvaluationKeyWatch}), each with what was seen. Always up: an app's wrong key
 * skews its cohorts, it does not make this instance unable to serve.
 */
@Readiness
@ApplicationScoped
public class EvaluationKeyCheck implements HealthCheck {

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response =
                HealthCheckResponse.named("Telemetry evaluation keys").up();
        EvaluationKeyWatch watch = EvaluationKeyWatch.installed();
        if (watch != null) {
            watch.warnings().forEach(response::withData);
        }
        return response.build();
    }
}
