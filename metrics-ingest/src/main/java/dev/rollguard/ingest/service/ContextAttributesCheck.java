package dev.rollguard.ingest.service;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Shows in {@code /q/health} the flags whose targeting rules read a context attribute that telemetry without
 * exposures lacked ({@link MissingContextAttributes}), as {@code <flag>/<attribute>} with the count of such events
 * since this instance started. Always up: missing attributes skew cohorts, they do not stop this instance serving.
 */
@Readiness
@ApplicationScoped
public class ContextAttributesCheck implements HealthCheck {

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response =
                HealthCheckResponse.named("Telemetry context attributes").up();
        MissingContextAttributes.GLOBAL.counts().forEach(response::withData);
        return response.build();
    }
}
