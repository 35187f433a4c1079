package dev.rollguard.alert.rest;

import dev.rollguard.alert.config.AlertConfig;
import dev.rollguard.http.BodyLimit;
import jakarta.enterprise.context.Dependent;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** This service's request body limit, {@code alert-service.http.max-body-bytes}, for service-http's {@link BodyLimit}. */
@Dependent
public class RequestBodyLimit {

    @Produces
    @Singleton
    BodyLimit.Limit limit(AlertConfig config) {
        return new BodyLimit.Limit(config.http().maxBodyBytes());
    }
}
