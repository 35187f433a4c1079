package dev.rollguard.flag;

import static dev.rollguard.flag.Api.admin;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The audit log read page by page with the before=<id> cursor, rows sharing a time included. */
@QuarkusTest
@QuarkusTestResource(FlagServiceInfra.class)
class AuditCursorTest {

    @Test
    void pagesByCursorGiveEveryRowOnceInOrder() {
        String actor = Api.key("pager");
        String segment = Api.key("paged");
        Map<String, Object> constraint = Map.of("attribute", "country", "operator", "IN", "values", List.of("PT"));
        admin().header("X-Rollguard-Actor", actor)
                .body(Map.of("key", segment, "constraints", List.of(constraint)))
                .post("/api/segments")
                .then()
                .statusCode(201);
        for (int i = 0; i < 3; i++) {
            admin().header("X-Rollguard-Actor", actor)
                    .body(Map.of(
                            "key",
                            Api.key("paged-flag"),
                            "rules",
                            List.of(Map.of("id", "r", "segments", List.of(segment), "variant", "on"))))
                    .post("/api/flags")
                    .then()
                    .statusCode(201);
        }
        // One transaction, one time: the segment's row and the three flags it republishes.
        admin().header("X-Rollguard-Actor", actor)
                .body(Map.of(
                        "constraints",
                        List.of(Map.of("attribute", "country", "operator", "IN", "values", List.of("PT", "ES")))))
                .put("/api/segments/" + segment)
                .then()
                .statusCode(200);

        List<Integer> all = admin().queryParam("actor", actor)
                .get("/api/audit")
                .then()
                .statusCode(200)
                .extract()
                .path("id");
        assertThat(all).hasSize(8);

        List<Integer> paged = new ArrayList<>();
        Integer cursor = null;
        for (int page = 0; page < 10; page++) {
            var request = admin().queryParam("actor", actor).queryParam("limit", 3);
            if (cursor != null) {
                request.queryParam("before", cursor);
            }
            List<Integer> ids =
                    request.get("/api/audit").then().statusCode(200).extract().path("id");
            if (ids.isEmpty()) {
                break;
            }
            paged.addAll(ids);
            cursor = ids.get(ids.size() - 1);
        }
        assertThat(paged).isEqualTo(all);

        admin().queryParam("before", "x")
                .get("/api/audit")
                .then()
                .statusCode(400)
                .body("code", equalTo("VALIDATION_FAILED"))
                .body("violations[0].field", equalTo("before"));
    }

    /**
     * The SQL of a page the service reads, explained with every parameter the cursor's id: the cursor is the start of
     * a backward scan of the (at, id) index, not a filter on every row newer than it, and the scan gives the page's
     * order, no sort. The plans that read the table whole, or sort what an index found, are turned off: on a test
     * table this small they cost about as much, and the question is whether the query can use the index, not whether
     * this table needs it.
     *
     * <p>The statement is caught while it waits for a lock this test holds on the table: pg_stat_activity shows each
     * connection's latest statement only, and a pooled connection that has run something else since (the outbox
     * relay polls every second) no longer shows the page, while one waiting on the lock can show nothing else.
     */
    @Test
    void aPageStartsAtItsCursorInTheIndex() throws Exception {
        String actor = Api.key("indexed");
        for (int i = 0; i < 2; i++) {
            admin().header("X-Rollguard-Actor", actor)
                    .body(Map.of("key", Api.key("indexed-flag")))
                    .post("/api/flags")
                    .then()
                    .statusCode(201);
        }
        List<Integer> ids = admin().queryParam("actor", actor)
                .get("/api/audit")
                .then()
                .extract()
                .path("id");
        long cursor = ids.get(0);

        String page;
        CompletableFuture<List<Integer>> read;
        try (Connection lock = DriverManager.getConnection(FlagServiceInfra.jdbcUrl(), "postgres", "");
                Connection db = DriverManager.getConnection(FlagServiceInfra.jdbcUrl(), "postgres", "")) {
            lock.setAutoCommit(false);
            int holder;
            try (Statement statement = lock.createStatement()) {
                statement.execute("LOCK TABLE audit_log IN ACCESS EXCLUSIVE MODE");
                try (ResultSet rs = statement.executeQuery("SELECT pg_backend_pid()")) {
                    rs.next();
                    holder = rs.getInt(1);
                }
            }
            read = CompletableFuture.supplyAsync(() -> admin().queryParam("before", cursor)
                    .queryParam("limit", 1)
                    .get("/api/audit")
                    .then()
                    .statusCode(200)
                    .extract()
                    .<List<Integer>>path("id"));
            try (PreparedStatement waiting = db.prepareStatement("SELECT query FROM pg_stat_activity"
                    + " WHERE ? = ANY(pg_blocking_pids(pid)) AND query ILIKE 'select%from audit_log%'")) {
                waiting.setInt(1, holder);
                page = await().atMost(Duration.ofSeconds(30))
                        .until(
                                () -> {
                                    try (ResultSet rs = waiting.executeQuery()) {
                                        return rs.next() ? rs.getString(1) : null;
                                    }
                                },
                                Objects::nonNull);
            } finally {
                lock.rollback();
            }
        }
        assertThat(read.get(30, TimeUnit.SECONDS)).containsExactly(ids.get(1));

        try (Connection db = DriverManager.getConnection(FlagServiceInfra.jdbcUrl(), "postgres", "");
                Statement statement = db.createStatement()) {
            statement.execute("PREPARE page AS " + page);
            int parameters;
            try (ResultSet rs = statement.executeQuery(
                    "SELECT cardinality(parameter_types) FROM pg_prepared_statements WHERE name = 'page'")) {
                rs.next();
                parameters = rs.getInt(1);
            }
            statement.execute("SET enable_seqscan = off");
            statement.execute("SET enable_bitmapscan = off");
            statement.execute("SET enable_sort = off");
            StringBuilder plan = new StringBuilder();
            try (ResultSet rs = statement.executeQuery("EXPLAIN EXECUTE page("
                    + String.join(", ", Collections.nCopies(parameters, Long.toString(cursor))) + ")")) {
                while (rs.next()) {
                    plan.append(rs.getString(1)).append('\n');
                }
            }
            assertThat(plan.toString())
                    .as(page)
                    .contains("Index Scan Backward using audit_log_at_id on audit_log")
                    .containsPattern("Index Cond: \\(ROW\\((\\w+\\.)?at, (\\w+\\.)?id\\) < ROW\\(")
                    .doesNotContain("Sort");
        }
    }
}
