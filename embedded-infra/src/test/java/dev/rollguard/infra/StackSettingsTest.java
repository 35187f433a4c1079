package dev.rollguard.infra;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The configuration every launch of a service shares: servers, the one password rule, tokens. */
class StackSettingsTest {

    private static final Tokens TOKENS = new Tokens("admin", "service", "client", "producer", "inbound", "secret");

    @Test
    void aServiceThatOwnsDataGetsItsDatabaseKafkaAndTokens() {
        var env = StackSettings.servers("127.0.0.1:19092", "db:5432", "rollguard", "s3cret", TOKENS)
                .environment("flag-service");

        assertThat(env)
                .containsEntry("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092")
                .containsEntry("QUARKUS_DATASOURCE_JDBC_URL", "jdbc:postgresql://db:5432/rollguard_flags")
                .containsEntry("QUARKUS_DATASOURCE_REACTIVE_URL", "postgresql://db:5432/rollguard_flags")
                .containsEntry("QUARKUS_DATASOURCE_USERNAME", "rollguard")
                .containsEntry("QUARKUS_DATASOURCE_PASSWORD", "s3cret")
                .containsEntry("ROLLGUARD_ADMIN_TOKEN", "admin")
                .containsEntry("ROLLGUARD_PRODUCER_TOKEN", "producer")
                .containsEntry("ROLLGUARD_STREAM_TOKEN_SECRET", "secret")
                .doesNotContainKey("ROLLGUARD_INBOUND_TOKEN");
    }

    @Test
    void onlyTheAlertServiceGetsTheInboundTokenAndAStatelessServiceNoDatabase() {
        StackSettings settings = StackSettings.servers("k:1", "db:5432", "u", "p", TOKENS);

        assertThat(settings.environment("alert-service"))
                .containsEntry("ROLLGUARD_INBOUND_TOKEN", "inbound")
                .containsEntry("QUARKUS_DATASOURCE_JDBC_URL", "jdbc:postgresql://db:5432/rollguard_alerts")
                .doesNotContainKey("ROLLGUARD_STREAM_TOKEN_SECRET");
        assertThat(settings.environment("metrics-ingest"))
                .containsKeys("KAFKA_BOOTSTRAP_SERVERS", "ROLLGUARD_SERVICE_TOKEN")
                .doesNotContainKeys("QUARKUS_DATASOURCE_JDBC_URL", "QUARKUS_DATASOURCE_PASSWORD");
        assertThat(settings.environment("alert-service", "a_bench_database"))
                .containsEntry("QUARKUS_DATASOURCE_JDBC_URL", "jdbc:postgresql://db:5432/a_bench_database");
    }

    @Test
    void aMissingOrBlankPasswordOrUserFallsBackToPostgres() {
        for (String none : new String[] {null, "", "  "}) {
            assertThat(StackSettings.servers("k:1", "db:1", none, none, TOKENS).environment("rollback-service"))
                    .containsEntry("QUARKUS_DATASOURCE_USERNAME", "postgres")
                    .containsEntry("QUARKUS_DATASOURCE_PASSWORD", "postgres");
        }
    }

    @Test
    void tokensThatAreNotSetAreNotPassed() {
        Tokens adminOnly = new Tokens("admin", null, null, null, null, null);

        assertThat(adminOnly.environment("flag-service")).containsOnlyKeys("ROLLGUARD_ADMIN_TOKEN");
    }

    @Test
    void theLocalStackKeepsItsTokensAndCompletesAnOlderFile(@TempDir Path state) throws IOException {
        Path file = state.resolve("tokens");
        Tokens first = Tokens.loadOrCreate(file);

        assertThat(first.admin()).startsWith("rg_admin_").hasSize("rg_admin_".length() + 48);
        assertThat(first.inbound()).startsWith("rg_inbound_");
        assertThat(first.streamSecret()).hasSize(64);
        assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(Tokens.loadOrCreate(file)).isEqualTo(first);

        Path older = state.resolve("older-tokens");
        Files.writeString(
                older,
                "ROLLGUARD_ADMIN_TOKEN=rg_admin_kept\nROLLGUARD_SERVICE_TOKEN=rg_service_kept\n"
                        + "ROLLGUARD_CLIENT_TOKEN=rg_client_kept\nROLLGUARD_PRODUCER_TOKEN=rg_producer_kept\n");
        Tokens completed = Tokens.loadOrCreate(older);

        assertThat(completed.admin()).isEqualTo("rg_admin_kept");
        assertThat(completed.producer()).isEqualTo("rg_producer_kept");
        assertThat(completed.inbound()).startsWith("rg_inbound_");
        assertThat(Files.readString(older)).contains("ROLLGUARD_INBOUND_TOKEN=", "ROLLGUARD_STREAM_TOKEN_SECRET=");
        assertThat(Tokens.loadOrCreate(older)).isEqualTo(completed);
    }
}
