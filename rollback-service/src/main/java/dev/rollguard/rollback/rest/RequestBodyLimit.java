package dev.rollguard.rollback.rest;

import dev.rollguard.http.BodyLimit;
import dev.rollguard.rollback.config.GuardConfig;
import jakarta.enterprise.context.Dependent;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** This service's request body limit, {@code rollback-service.http.max-body-bytes}, for service-http's {@link BodyLimit}. */
@Dependent
public class RequestBodyLimit {

    @Produces
    @Singleton
    BodyLimit.Limit limit(GuardConfig config) {
        return new BodyLimit.Limit(config.http().maxBodyBytes());
    }
}
