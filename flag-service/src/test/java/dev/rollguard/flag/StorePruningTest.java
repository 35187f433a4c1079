package dev.rollguard.flag;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.flag.service.StorePruning;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The outbox and the idempotency keys lose what is past its retention, and only that. */
@QuarkusTest
@QuarkusTestResource(FlagServiceInfra.class)
class StorePruningTest {

    @Inject
    StorePruning pruning;

    @Test
    void publishedRowsAndKeysPastTheirRetentionGoEverythingElseStays() throws SQLException {
        Instant now = Instant.now();
        Instant old = now.minus(Duration.ofDays(8));
        Instant recent = now.minus(Duration.ofDays(1));
        String flag = Api.key("pruned");
        long sentLongAgo = outbox(flag, old, old, null);
        long sentRecently = outbox(flag, old, recent, null);
        // Never published (set aside): kept, whatever its age.
        long setAside = outbox(flag, old, null, old);
        String token = "prune-" + UUID.randomUUID();
        key(token, "old", old);
        key(token, "recent", recent);

        StorePruning.Pruned pruned = pruning.prune(now).await().atMost(Duration.ofSeconds(30));

        assertThat(pruned.outboxRows()).isGreaterThanOrEqualTo(1);
        assertThat(pruned.idempotencyKeys()).isGreaterThanOrEqualTo(1);
        assertThat(exists("SELECT 1 FROM outbox WHERE id = " + sentLongAgo)).isFalse();
        assertThat(exists("SELECT 1 FROM outbox WHERE id = " + sentRecently)).isTrue();
        assertThat(exists("SELECT 1 FROM outbox WHERE id = " + setAside)).isTrue();
        assertThat(exists("SELECT 1 FROM idempotency_keys WHERE token_name = '" + token
                        + "' AND idempotency_key = 'old'"))
                .isFalse();
        assertThat(exists("SELECT 1 FROM idempotency_keys WHERE token_name = '" + token
                        + "' AND idempotency_key = 'recent'"))
                .isTrue();
    }

    private static long outbox(String flag, Instant created, Instant sent, Instant failed) throws SQLException {
        try (var db = DriverManager.getConnection(FlagServiceInfra.jdbcUrl(), "postgres", "");
                var insert = db.prepareStatement("INSERT INTO outbox (event_id, flag_key, version, payload, created_at,"
                        + " sent_at, failed_at, failure) VALUES (?, ?, 1, ?, ?, ?, ?, ?) RETURNING id")) {
            insert.setObject(1, UUID.randomUUID());
            insert.setString(2, flag);
            insert.setBytes(3, new byte[] {1});
            insert.setTimestamp(4, Timestamp.from(created));
            insert.setTimestamp(5, sent == null ? null : Timestamp.from(sent));
            insert.setTimestamp(6, failed == null ? null : Timestamp.from(failed));
            insert.setString(7, failed == null ? null : "refused for good");
            try (ResultSet rs = insert.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private static void key(String token, String key, Instant created) throws SQLException {
        try (var db = DriverManager.getConnection(FlagServiceInfra.jdbcUrl(), "postgres", "");
                var insert = db.prepareStatement("INSERT INTO idempotency_keys (token_name, idempotency_key, status,"
                        + " body, created_at) VALUES (?, ?, 200, '{}', ?)")) {
            insert.setString(1, token);
            insert.setString(2, key);
            insert.setTimestamp(3, Timestamp.from(created));
            insert.executeUpdate();
        }
    }

    private static boolean exists(String query) throws SQLException {
        try (var db = DriverManager.getConnection(FlagServiceInfra.jdbcUrl(), "postgres", "");
                var statement = db.createStatement();
                ResultSet rs = statement.executeQuery(query)) {
            return rs.next();
        }
    }
}
