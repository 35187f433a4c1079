package dev.rollguard.alert.support;

/** Test rules created over the API. */
public final class Rules {

    private Rules() {}

    /** A critical rule on {@code durationMaxMs > 1000} for one table, with event-time {@code for} and hysteresis. */
    public static void slowTable(String id, String table, int forSeconds, int keepFiringForSeconds) {
        String body =
                """
                {"id": "%s", "name": "Slow %s", "metric": "durationMaxMs", "comparator": "GT",
                 "critical": {"threshold": 1000}, "forSeconds": %d, "keepFiringForSeconds": %d, "minSampleSize": 10,
                 "scope": {"types": ["TABLE"], "table": "%s"},
                 "annotations": {"runbook_url": "https://runbooks.example/slow-table"}}"""
                        .formatted(id, table, forSeconds, keepFiringForSeconds, table);
        Api.admin().body(body).when().post("/api/rules").then().statusCode(201);
    }
}
