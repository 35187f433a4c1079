package dev.rollguard.flag.rest;

import dev.rollguard.flag.service.FlagSnapshot;
import io.smallrye.health.api.HealthGroup;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Whether this instance can evaluate flags: it has loaded its snapshot. Part of readiness (beside the PostgreSQL and
 * Kafka checks, which go DOWN with their servers) and alone in the {@code evaluation} group at
 * /q/health/group/evaluation: a deployment that must keep serving evaluations while the database is down points
 * its probe there.
 */
@Readiness
@HealthGroup("evaluation")
@ApplicationScoped
public class SnapshotHealthCheck implements HealthCheck {

    private final FlagSnapshot snapshot;

    public SnapshotHealthCheck(FlagSnapshot snapshot) {
        this.snapshot = snapshot;
    }

    @Override
    public HealthCheckResponse call() {
        FlagSnapshot.State state = snapshot.current();
        return HealthCheckResponse.named("Flag snapshot")
                .status(snapshot.loaded())
                .withData("flags", state.flags().size())
                .withData("revision", state.revision())
                .withData("globalKill", state.globalKill())
                .withData("lastModified", state.lastModified().toString())
                .build();
    }
}
