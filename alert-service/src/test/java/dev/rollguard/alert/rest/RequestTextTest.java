package dev.rollguard.alert.rest;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import dev.rollguard.alert.support.AlertTestResource;
import dev.rollguard.alert.support.Api;
import dev.rollguard.infra.SharedInfra;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Rules and webhooks are refused, 400 {@code INVALID_CHARACTER} naming the field, when any text holds a control
 * character, and 400 {@code VALIDATION_FAILED} when a text is longer than the column it is stored in (read from the
 * database the migrations built), so neither can reach PostgreSQL and fail there. The text fields are read from the
 * OpenAPI document, so a new one cannot be left out.
 */
@QuarkusTest
@QuarkusTestResource(AlertTestResource.class)
class RequestTextTest {

    static final List<String> BAD = List.of("\u0000", "\u0007", "\u001b", "\u007f", "\u0085", "\n", "\r");

    static Map<String, Object> rule() {
        Map<String, Object> scope = new HashMap<>();
        scope.put("types", List.of("FLAG_COHORT", "TABLE"));
        scope.put("flagKey", "new-sync");
        scope.put("table", "entries");
        Map<String, Object> rule = new HashMap<>();
        rule.put("id", "text-" + UUID.randomUUID().toString().substring(0, 8));
        rule.put("name", "Errors");
        rule.put("metric", "errorRate");
        rule.put("comparator", "GT");
        rule.put("critical", Map.of("threshold", 0.5));
        rule.put("scope", scope);
        rule.put("labels", Map.of("team", "sync"));
        rule.put("annotations", Map.of("summary", "too many errors"));
        // Disabled: the rules these tests store must not raise alerts in the other tests of this boot.
        rule.put("enabled", false);
        return rule;
    }

    static Map<String, Object> webhook() {
        Map<String, Object> webhook = new HashMap<>();
        webhook.put("name", "chat");
        webhook.put("kind", "generic");
        webhook.put("url", "http://127.0.0.1:9/hook");
        webhook.put("secret", "0123456789abcdef");
        webhook.put("enabled", false);
        webhook.put("groupWait", "10s");
        webhook.put("groupInterval", "1m");
        webhook.put("repeatInterval", "4h");
        return webhook;
    }

    /** The request with one text field changed: "scope.table", "labels[team]" (a value) or "labels[team] (key)". */
    @SuppressWarnings("unchecked")
    static Map<String, Object> with(Map<String, Object> request, String field, UnaryOperator<String> change) {
        Map<String, Object> copy = new HashMap<>(request);
        if (field.contains("[")) {
            String map = field.substring(0, field.indexOf('['));
            String key = field.substring(field.indexOf('[') + 1, field.indexOf(']'));
            Map<String, Object> entries = new LinkedHashMap<>((Map<String, Object>) copy.get(map));
            Object value = entries.remove(key);
            if (field.endsWith("(key)")) {
                entries.put(change.apply(key), value);
            } else {
                entries.put(key, change.apply((String) value));
            }
            copy.put(map, entries);
        } else if (field.contains(".")) {
            String outer = field.substring(0, field.indexOf('.'));
            String inner = field.substring(field.indexOf('.') + 1);
            Map<String, Object> nested = new HashMap<>((Map<String, Object>) copy.get(outer));
            nested.put(inner, change.apply((String) nested.get(inner)));
            copy.put(outer, nested);
        } else {
            copy.put(field, change.apply((String) copy.get(field)));
        }
        return copy;
    }

    static final List<String> RULE_TEXT = List.of(
            "id",
            "name",
            "metric",
            "scope.flagKey",
            "scope.table",
            "labels[team]",
            "labels[team] (key)",
            "annotations[summary]",
            "annotations[summary] (key)");
    static final List<String> WEBHOOK_TEXT =
            List.of("name", "kind", "url", "secret", "groupWait", "groupInterval", "repeatInterval", "routingKey");

    /** The text properties of a request schema in the OpenAPI document, nested objects and maps included. */
    @SuppressWarnings("unchecked")
    static List<String> textProperties(String schemaName) {
        JsonPath openapi =
                given().queryParam("format", "json").get("/q/openapi").jsonPath();
        List<String> found = new ArrayList<>();
        Map<String, Map<String, Object>> properties =
                openapi.getMap("components.schemas." + schemaName + ".properties");
        properties.forEach((name, schema) -> {
            Map<String, Object> resolved = ErrorContractTest.resolve(openapi, schema);
            if ("string".equals(resolved.get("type")) && !resolved.containsKey("enum")) {
                found.add(name);
            } else if (resolved.get("additionalProperties") instanceof Map<?, ?>) {
                found.add(name + "[]");
            } else if (resolved.get("properties") instanceof Map<?, ?> nested) {
                ((Map<String, Map<String, Object>>) nested).forEach((inner, innerSchema) -> {
                    Map<String, Object> r = ErrorContractTest.resolve(openapi, innerSchema);
                    if ("string".equals(r.get("type")) && !r.containsKey("enum")) {
                        found.add(name + "." + inner);
                    }
                });
            }
        });
        return found;
    }

    @Test
    void theTestsCoverEveryTextFieldOfTheRequests() {
        assertThat(textProperties("RuleRequest")).allSatisfy(field -> assertThat(RULE_TEXT)
                .as("text field " + field + " of RuleRequest is checked by this test")
                .anySatisfy(tested -> assertThat(tested).startsWith(field.replace("[]", "["))));
        assertThat(textProperties("WebhookRequest"))
                .allSatisfy(field -> assertThat(WEBHOOK_TEXT).contains(field));
    }

    @Test
    void aControlCharacterInAnyTextOfARuleIsRefusedNamingTheField() {
        for (String field : RULE_TEXT) {
            for (String bad : BAD) {
                if (field.equals("annotations[summary]") && bad.equals("\n")) {
                    continue; // an annotation value is free text: it keeps line feeds
                }
                JsonPath error = Api.admin()
                        .body(with(rule(), field, text -> text.substring(0, 1) + bad + text.substring(1)))
                        .post("/api/rules")
                        .then()
                        .statusCode(400)
                        .contentType(ContentType.JSON)
                        .extract()
                        .jsonPath();
                assertThat(error.getString("code")).as(field).isEqualTo("INVALID_CHARACTER");
                assertThat(error.getList("violations.field", String.class))
                        .as(field)
                        .containsExactly(
                                field.endsWith("(key)")
                                        ? field.replace("team", "t" + JsonMessages.printable(bad) + "eam")
                                                .replace("summary", "s" + JsonMessages.printable(bad) + "ummary")
                                        : field);
                assertThat(error.getString("message")).startsWith(error.getString("violations[0].field") + ": ");
                assertThat(error.getString("message")).doesNotContain(bad);
            }
        }
        String id = (String) rule().get("id");
        Api.admin()
                .body(with(rule(), "name", t -> "\u0000"))
                .put("/api/rules/" + id)
                .then()
                .statusCode(400);
        Api.admin().get("/api/rules/" + id).then().statusCode(404);
    }

    @Test
    void annotationsKeepTabsAndLineFeedsButNotOtherControls() {
        Map<String, Object> rule = with(rule(), "annotations[summary]", t -> "line one\n\tline two");
        Api.admin()
                .body(rule)
                .post("/api/rules")
                .then()
                .statusCode(201)
                .body("annotations.summary", equalTo("line one\n\tline two"));
        Api.admin()
                .body(with(rule(), "annotations[summary]", t -> "carriage\r\nreturn"))
                .post("/api/rules")
                .then()
                .statusCode(400)
                .body("code", equalTo("INVALID_CHARACTER"))
                .body("message", startsWith("annotations[summary]: contains the character U+000D"));
    }

    @Test
    void anEnumSymbolWithAControlCharacterIsRefusedAsSuch() {
        Map<String, Object> rule = rule();
        rule.put("comparator", "G\u0000T");
        Api.admin()
                .body(rule)
                .post("/api/rules")
                .then()
                .statusCode(400)
                .body("code", equalTo("INVALID_CHARACTER"))
                .body("violations[0].field", equalTo("comparator"));
    }

    @Test
    void aControlCharacterInAnyTextOfAWebhookIsRefusedNamingTheField() {
        for (String field : WEBHOOK_TEXT) {
            for (String bad : BAD) {
                Api.admin()
                        .body(with(webhook(), field, text -> text + bad))
                        .post("/api/webhooks")
                        .then()
                        .statusCode(400)
                        .body("code", equalTo("INVALID_CHARACTER"))
                        .body("violations[0].field", equalTo(field));
            }
        }
    }

    @Test
    void pathAndQueryParametersWithAControlCharacterAreRefused() {
        Api.admin()
                .urlEncodingEnabled(false)
                .get("/api/rules/a%00b")
                .then()
                .statusCode(400)
                .contentType(ContentType.JSON)
                .body("code", equalTo("INVALID_CHARACTER"))
                .body("violations[0].field", equalTo("id"));
        Api.admin()
                .urlEncodingEnabled(false)
                .body(rule())
                .put("/api/rules/a%00b")
                .then()
                .statusCode(400)
                .body("code", equalTo("INVALID_CHARACTER"));
        Api.admin()
                .urlEncodingEnabled(false)
                .delete("/api/webhooks/%01")
                .then()
                .statusCode(400)
                .body("code", equalTo("INVALID_CHARACTER"));
        Api.admin()
                .urlEncodingEnabled(false)
                .get("/api/alerts?view=history&flagKey=x%00y")
                .then()
                .statusCode(400)
                .body("code", equalTo("INVALID_CHARACTER"))
                .body("violations[0].field", equalTo("flagKey"));
    }

    /** Length of a VARCHAR column as the migrations created it. */
    static int columnLength(String table, String column) throws Exception {
        try (Connection db = DriverManager.getConnection(
                        SharedInfra.jdbcUrl(AlertTestResource.DATABASE_NAME),
                        SharedInfra.dbUser(),
                        SharedInfra.dbPassword());
                PreparedStatement query = db.prepareStatement("select character_maximum_length from"
                        + " information_schema.columns where table_name = ? and column_name = ?")) {
            query.setString(1, table);
            query.setString(2, column);
            try (ResultSet row = query.executeQuery()) {
                assertThat(row.next()).as(table + "." + column).isTrue();
                return row.getInt(1);
            }
        }
    }

    @Test
    void textsUpToTheirColumnsAreStoredAndLongerOnesRefusedBeforeTheWrite() throws Exception {
        record Column(String field, String table, String column) {}
        List<Column> ruleColumns = List.of(
                new Column("id", "rules", "id"),
                new Column("name", "rules", "name"),
                new Column("scope.flagKey", "rules", "scope_flag_key"),
                new Column("scope.table", "rules", "scope_table"));
        for (Column c : ruleColumns) {
            int length = columnLength(c.table(), c.column());
            String unique = UUID.randomUUID().toString().substring(0, 8);
            Api.admin()
                    .body(with(rule(), c.field(), t -> (unique + "x".repeat(length)).substring(0, length)))
                    .post("/api/rules")
                    .then()
                    .statusCode(201);
            Api.admin()
                    .body(with(rule(), c.field(), t -> "x".repeat(length + 1)))
                    .post("/api/rules")
                    .then()
                    .statusCode(400)
                    .body("code", equalTo("VALIDATION_FAILED"))
                    .body("violations.field", org.hamcrest.Matchers.hasItem(c.field()));
        }
        int metricLength = columnLength("rules", "metric");
        Api.admin()
                .body(with(rule(), "metric", t -> "x".repeat(metricLength + 1)))
                .post("/api/rules")
                .then()
                .statusCode(400)
                .body("violations.field", org.hamcrest.Matchers.hasItem("metric"));

        for (Column c : List.of(
                new Column("name", "webhooks", "name"),
                new Column("url", "webhooks", "url"),
                new Column("secret", "webhooks", "secret"))) {
            int length = columnLength(c.table(), c.column());
            String prefix = c.field().equals("url") ? "http://127.0.0.1:9/" : "";
            Api.admin()
                    .body(with(webhook(), c.field(), t -> prefix + "y".repeat(length - prefix.length())))
                    .post("/api/webhooks")
                    .then()
                    .statusCode(201);
            Api.admin()
                    .body(with(webhook(), c.field(), t -> prefix + "y".repeat(length + 1 - prefix.length())))
                    .post("/api/webhooks")
                    .then()
                    .statusCode(400)
                    .body("code", equalTo("VALIDATION_FAILED"))
                    .body("violations.field", org.hamcrest.Matchers.hasItem(c.field()));
        }
    }
}
