package dev.rollguard.alert.support;

import static io.restassured.RestAssured.given;

/** Reads one sample of the service's Prometheus endpoint. */
public final class Prometheus {

    private Prometheus() {}

    /** The value of the sample {@code name} whose labels contain {@code label} (e.g. {@code outcome="x"}), or 0. */
    public static double value(String name, String label) {
        String text = given().accept("text/plain").get("/q/metrics").asString();
        for (String line : text.split("\n")) {
            if (line.startsWith(name + "{") && line.contains(label)) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
            if (line.startsWith(name + " ") && label.isEmpty()) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return 0;
    }
}
