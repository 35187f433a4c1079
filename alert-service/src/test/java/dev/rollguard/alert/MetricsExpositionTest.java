package dev.rollguard.alert;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.alert.support.AlertTestResource;
import dev.rollguard.infra.Promtool;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

/**
 * What Prometheus scrapes from alert-service passes Prometheus' own checker ({@code promtool check metrics}): valid
 * exposition text, help on every family, names by its conventions. Same application as {@link HealthTest}.
 */
@QuarkusTest
@QuarkusTestResource(AlertTestResource.class)
class MetricsExpositionTest {

    @Test
    void theScrapePassesPromtoolCheckMetrics() {
        String scrape = given().accept("text/plain")
                .when()
                .get("/q/metrics")
                .then()
                .statusCode(200)
                .extract()
                .asString();
        assertThat(scrape)
                .contains("# HELP jvm_memory_used_bytes")
                .contains("# HELP rollguard_")
                .contains("# HELP process_cpu_usage The 'recent cpu usage'");

        Promtool.assertCleanScrape(scrape);
    }
}
