package dev.rollguard.alert.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Configuration of the alert-service. */
@ConfigMapping(prefix = "alert-service")
public interface AlertConfig {

    /** Whether the default rule pack is loaded when no rule exists yet. */
    @WithDefault("true")
    boolean loadDefaultRules();
}
