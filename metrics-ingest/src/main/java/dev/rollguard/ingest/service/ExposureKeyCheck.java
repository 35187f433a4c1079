package dev.rollguard.ingest.service;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Shows in {@code /q/health} the flags whose telemetry exposures disagree with the event's {@code userId}
 * ({@link ExposureKeyMismatches}), with their count since this instance started. Always up: a client's wrong key
 * skews its cohorts, it does not make this instance unable to serve.
 */
@Readiness
@ApplicationScoped
public class ExposureKeyCheck implements HealthCheck {

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response =
                HealthCheckResponse.named("Telemetry targeting keys").up();
        ExposureKeyMismatches.GLOBAL.counts().forEach(response::withData);
        return response.build();
    }
}
