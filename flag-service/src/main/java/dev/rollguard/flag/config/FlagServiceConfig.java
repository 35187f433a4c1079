package dev.rollguard.flag.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.util.Optional;

/** Configuration of the flag-service. */
@ConfigMapping(prefix = "flag-service")
public interface FlagServiceConfig {

    /** Name of the environment whose flags this instance serves (shown in responses and audit rows). */
    @WithDefault("local")
    String environment();

    /** Tokens accepted before any are stored. */
    Tokens tokens();

    interface Tokens {
        /** Admin token that is always accepted, to bootstrap the others; from ROLLGUARD_ADMIN_TOKEN. */
        Optional<String> bootstrapAdmin();
    }
}
