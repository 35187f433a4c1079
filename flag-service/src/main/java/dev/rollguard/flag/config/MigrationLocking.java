package dev.rollguard.flag.config;

import io.quarkus.flyway.FlywayConfigurationCustomizer;
import jakarta.inject.Singleton;
import org.flywaydb.core.api.configuration.FluentConfiguration;
import org.flywaydb.database.postgresql.PostgreSQLConfigurationExtension;

/**
 * Flyway's lock against two instances migrating at once as a session-level advisory lock, not one held in a
 * transaction open for the whole run: {@code CREATE INDEX CONCURRENTLY} (V9) waits for the transactions open when it
 * starts, that one included, so under Flyway's default it would wait for good (flyway/flyway#3682). An instance
 * waiting for the lock polls it in short transactions, which the index build waits out.
 */
@Singleton
public class MigrationLocking implements FlywayConfigurationCustomizer {

    @Override
    public void customize(FluentConfiguration configuration) {
        configuration
                .getPluginRegister()
                .getExact(PostgreSQLConfigurationExtension.class)
                .setTransactionalLock(false);
    }
}
