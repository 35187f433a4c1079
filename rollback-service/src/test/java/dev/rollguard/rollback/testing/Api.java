package dev.rollguard.rollback.testing;

import static io.restassured.RestAssured.given;

import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;

/** The rollback-service's own API, as an operator calls it. */
public final class Api {

    public static final String ADMIN_TOKEN = "test-admin-token";

    private Api() {}

    public static RequestSpecification asAdmin() {
        return given().header("Authorization", "Bearer " + ADMIN_TOKEN);
    }

    /** The stored action, or null while there is none. */
    public static JsonPath rollback(String id) {
        Response response = asAdmin().get("/api/rollbacks/{id}", id);
        return response.statusCode() == 200 ? response.jsonPath() : null;
    }

    /** The outcome of a finished action, or null while there is none or it is still pending. */
    public static String doneOutcome(String id) {
        JsonPath action = rollback(id);
        return action == null || !"DONE".equals(action.getString("state")) ? null : action.getString("outcome");
    }

    /** The sum of the Prometheus samples named {@code name} that carry every label given as {@code key="value"}. */
    public static double metric(String name, String... labels) {
        String text = given().accept("text/plain").get("/q/metrics").asString();
        double sum = 0;
        for (String line : text.split("\n")) {
            if (line.startsWith("#") || line.isBlank()) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            String series = line.substring(0, space);
            int brace = series.indexOf('{');
            String seriesName = brace < 0 ? series : series.substring(0, brace);
            if (seriesName.equals(name) && java.util.Arrays.stream(labels).allMatch(series::contains)) {
                sum += Double.parseDouble(line.substring(space + 1).trim());
            }
        }
        return sum;
    }
}
