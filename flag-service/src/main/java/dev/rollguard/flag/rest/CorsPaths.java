package dev.rollguard.flag.rest;

import dev.rollguard.http.CorsScope;
import jakarta.enterprise.context.Dependent;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** The paths of this service that pages of other origins may call, for service-http's {@link CorsScope}. */
@Dependent
public class CorsPaths {

    /** The OFREP endpoints, every path under this prefix. */
    public static final String OFREP = "/ofrep/v1/";

    @Produces
    @Singleton
    CorsScope.Paths paths() {
        return CorsScope.Paths.under(OFREP);
    }
}
