package dev.rollguard.ingest;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.infra.InfraTestResource;
import dev.rollguard.infra.Promtool;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

/**
 * What Prometheus scrapes from metrics-ingest passes Prometheus' own checker ({@code promtool check metrics}): valid
 * exposition text, help on every family, names by its conventions. Same application as {@link HealthTest}.
 */
@QuarkusTest
@QuarkusTestResource(
        value = InfraTestResource.class,
        initArgs = @ResourceArg(name = InfraTestResource.KAFKA_STREAMS, value = "true"))
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
                .contains("# HELP kafka_stream_")
                .contains("# HELP process_cpu_usage The 'recent cpu usage'");

        Promtool.assertCleanScrape(scrape);
    }
}
