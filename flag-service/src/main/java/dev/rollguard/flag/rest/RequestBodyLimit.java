package dev.rollguard.flag.rest;

import dev.rollguard.http.BodyLimit;
import io.quarkus.runtime.configuration.MemorySize;
import jakarta.enterprise.context.Dependent;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * This service's request body limit for service-http's {@link BodyLimit}: the HTTP layer's own,
 * {@code quarkus.http.limits.max-body-size}, so that every body over it gets the JSON error.
 */
@Dependent
public class RequestBodyLimit {

    @Produces
    @Singleton
    BodyLimit.Limit limit(@ConfigProperty(name = "quarkus.http.limits.max-body-size") MemorySize limit) {
        return new BodyLimit.Limit(limit.asLongValue());
    }
}
