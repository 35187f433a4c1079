package dev.rollguard.schemas.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.LongTaskTimer;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

class PrometheusConventionsTest {

    @Test
    void doubleQuotesInHelpTextsBecomeSingleQuotes() {
        MeterRegistry registry = registry();
        Gauge.builder("process.cpu.usage", () -> 0.5)
                .description("The \"recent cpu usage\" for the Java Virtual Machine process")
                .register(registry);

        assertThat(registry.get("process.cpu.usage").gauge().getId().getDescription())
                .isEqualTo("The 'recent cpu usage' for the Java Virtual Machine process");
    }

    @Test
    void aMeterWithoutDescriptionGetsOneFromItsName() {
        MeterRegistry registry = registry();
        Gauge.builder("http.server.active.requests", () -> 1).register(registry);

        assertThat(registry.get("http.server.active.requests").gauge().getId().getDescription())
                .isEqualTo("http server active requests");
    }

    @Test
    void camelCaseTagKeysBecomeSnakeCaseAndTheirValuesStay() {
        MeterRegistry registry = registry();
        Gauge.builder("postgresql.current", () -> 0)
                .description("The number of requests currently handled by the client")
                .tags("clientName", "<default>", "clientType", "sql", "pool", "main")
                .register(registry);

        Meter.Id id = registry.get("postgresql.current").gauge().getId();
        assertThat(id.getTags())
                .containsExactlyInAnyOrder(
                        Tag.of("client_name", "<default>"), Tag.of("client_type", "sql"), Tag.of("pool", "main"));
        assertThat(id.getDescription()).isEqualTo("The number of requests currently handled by the client");
    }

    @Test
    void longTaskTimersAreLeftOutAndOtherMetersKept() {
        MeterRegistry registry = registry();
        LongTaskTimer.builder("http.server.connections").register(registry);
        Timer.builder("http.server.requests").register(registry);

        assertThat(registry.find("http.server.connections").meters()).isEmpty();
        assertThat(registry.find("http.server.requests").meters()).hasSize(1);
    }

    @Test
    void snakeCaseKeepsWhatIsAlreadySnakeCase() {
        assertThat(PrometheusConventions.snakeCase("thread_id")).isEqualTo("thread_id");
        assertThat(PrometheusConventions.snakeCase("clientName")).isEqualTo("client_name");
        assertThat(PrometheusConventions.snakeCase("HTTPStatus")).isEqualTo("http_status");
    }

    private static MeterRegistry registry() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        registry.config().meterFilter(new PrometheusConventions());
        return registry;
    }
}
