package dev.rollguard.ingest.rest;

import dev.rollguard.http.BodyLimit;
import dev.rollguard.ingest.config.IngestConfig;
import jakarta.enterprise.context.Dependent;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** This service's request body limit, {@code metrics-ingest.intake.max-body-bytes}, for service-http's {@link BodyLimit}. */
@Dependent
public class RequestBodyLimit {

    @Produces
    @Singleton
    BodyLimit.Limit limit(IngestConfig config) {
        return new BodyLimit.Limit(config.intake().maxBodyBytes());
    }
}
