package dev.rollguard.ingest.rest;

import dev.rollguard.http.CorsScope;
import jakarta.enterprise.context.Dependent;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** The path of this service that pages of other origins may call, for service-http's {@link CorsScope}. */
@Dependent
public class CorsPaths {

    /** The telemetry intake, this one path and nothing under it. */
    public static final String TELEMETRY = "/api/telemetry";

    @Produces
    @Singleton
    CorsScope.Paths paths() {
        return CorsScope.Paths.exactly(TELEMETRY);
    }
}
