package dev.rollguard.flag;

import static dev.rollguard.flag.Api.admin;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.emptyString;
import static org.hamcrest.Matchers.nullValue;

import dev.rollguard.flag.config.MigrationLocking;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.configuration.FluentConfiguration;
import org.junit.jupiter.api.Test;

/**
 * Answers stored under an Idempotency-Key before V6 (an HTTP status and an ETag) are converted to what the write did
 * and the version it left, and replay exactly as they were first given: same status, same body, same ETag.
 */
@QuarkusTest
@QuarkusTestResource(FlagServiceInfra.class)
class IdempotencyMigrationTest {

    private static final String TOKEN = "bootstrap-admin";

    @Test
    void answersStoredBeforeV6ReplayAsFirstGiven() throws Exception {
        String schema =
                "before_v6_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        String key = Api.key("replayed");
        String created = "{\"key\":\"" + key + "\",\"killed\":false,\"version\":1}";
        String killed = "{\"key\":\"" + key + "\",\"killed\":true,\"version\":4}";
        try (Connection db = DriverManager.getConnection(FlagServiceInfra.jdbcUrl(), "postgres", "")) {
            try {
                migrations(schema).target("5").load().migrate();
                try (PreparedStatement insert = db.prepareStatement("INSERT INTO " + schema
                        + ".idempotency_keys (token_name, idempotency_key, status, body, etag, created_at)"
                        + " VALUES (?, ?, ?, ?, ?, now())")) {
                    stored(insert, "create-" + key, 201, created, "\"1\"");
                    stored(insert, "kill-" + key, 200, killed, "\"4\"");
                    stored(insert, "delete-" + key, 204, "null", null);
                }

                migrations(schema).load().migrate();

                Map<String, String> converted = new LinkedHashMap<>();
                try (Statement query = db.createStatement();
                        ResultSet rs = query.executeQuery("SELECT idempotency_key, outcome, version, body FROM "
                                + schema + ".idempotency_keys ORDER BY idempotency_key")) {
                    while (rs.next()) {
                        converted.put(rs.getString(1), rs.getString(2) + " " + rs.getObject(3) + " " + rs.getString(4));
                    }
                }
                assertThat(converted)
                        .containsExactly(
                                Map.entry("create-" + key, "CREATED 1 " + created),
                                Map.entry("delete-" + key, "DELETED null null"),
                                Map.entry("kill-" + key, "UPDATED 4 " + killed));

                // The service's own table went through the same migration at start: the converted rows replay.
                try (Statement copy = db.createStatement()) {
                    copy.executeUpdate("INSERT INTO idempotency_keys (token_name, idempotency_key, outcome, body,"
                            + " version, status, etag, created_at) SELECT token_name, idempotency_key, outcome, body,"
                            + " version, status, etag, created_at FROM " + schema + ".idempotency_keys");
                }
                // A pod of the previous version, still running during a rolling update, writes the old form only.
                try (PreparedStatement insert = db.prepareStatement("INSERT INTO idempotency_keys (token_name,"
                        + " idempotency_key, status, body, etag, created_at) VALUES (?, ?, ?, ?, ?, now())")) {
                    stored(insert, "old-pod-kill-" + key, 200, killed, "\"4\"");
                }
            } finally {
                try (Statement drop = db.createStatement()) {
                    drop.executeUpdate("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
                }
            }
        }

        String createReplay = admin().header("Idempotency-Key", "create-" + key)
                .body(Map.of("key", key))
                .post("/api/flags")
                .then()
                .statusCode(201)
                .header("ETag", "\"1\"")
                .extract()
                .asString();
        assertThat(createReplay).isEqualTo(created);
        admin().get("/api/flags/" + key).then().statusCode(404);

        String killReplay = admin().header("Idempotency-Key", "kill-" + key)
                .body(Map.of("reason", "replayed"))
                .post("/api/flags/" + key + "/kill")
                .then()
                .statusCode(200)
                .header("ETag", "\"4\"")
                .extract()
                .asString();
        assertThat(killReplay).isEqualTo(killed);

        String oldPodReplay = admin().header("Idempotency-Key", "old-pod-kill-" + key)
                .body(Map.of("reason", "replayed"))
                .post("/api/flags/" + key + "/kill")
                .then()
                .statusCode(200)
                .header("ETag", "\"4\"")
                .extract()
                .asString();
        assertThat(oldPodReplay).isEqualTo(killed);

        // This version writes the old form too, for the previous version's pods to replay.
        String fresh = Api.key("fresh");
        admin().header("Idempotency-Key", "create-" + fresh)
                .body(Map.of("key", fresh))
                .post("/api/flags")
                .then()
                .statusCode(201);
        try (Connection db = DriverManager.getConnection(FlagServiceInfra.jdbcUrl(), "postgres", "");
                Statement query = db.createStatement();
                ResultSet rs = query.executeQuery("SELECT outcome, version, status, etag FROM idempotency_keys"
                        + " WHERE idempotency_key = 'create-" + fresh + "'")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1) + " " + rs.getLong(2) + " " + rs.getInt(3) + " " + rs.getString(4))
                    .isEqualTo("CREATED 1 201 \"1\"");
        }

        admin().header("Idempotency-Key", "delete-" + key)
                .delete("/api/segments/" + key)
                .then()
                .statusCode(204)
                .header("ETag", nullValue())
                .body(emptyString());
    }

    /** The service's migrations into {@code schema}, locked as the service locks them (V9 needs it). */
    private static FluentConfiguration migrations(String schema) {
        FluentConfiguration configuration = Flyway.configure()
                .dataSource(FlagServiceInfra.jdbcUrl(), "postgres", "")
                .schemas(schema)
                .locations("filesystem:src/main/resources/db/migration");
        new MigrationLocking().customize(configuration);
        return configuration;
    }

    private static void stored(PreparedStatement insert, String idempotencyKey, int status, String body, String etag)
            throws Exception {
        insert.setString(1, TOKEN);
        insert.setString(2, idempotencyKey);
        insert.setInt(3, status);
        insert.setString(4, body);
        insert.setString(5, etag);
        insert.executeUpdate();
    }
}
