package dev.rollguard.rollback.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Configuration of the rollback-service. */
@ConfigMapping(prefix = "rollback-service")
public interface GuardConfig {

    /** Base URL of the flag-service admin API. */
    @WithDefault("http://127.0.0.1:8081")
    String flagServiceUrl();

    /** When true, every action is recorded but no flag is changed, whatever the flag's own policy says. */
    @WithDefault("false")
    boolean dryRun();
}
