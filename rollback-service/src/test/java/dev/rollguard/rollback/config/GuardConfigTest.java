package dev.rollguard.rollback.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The alert-service settings the guard and the promoter share: {@code rollback-service.alert-service.*}, whether the
 * promoter runs or not, with their former names under {@code rollback-service.promotion.alert-service} as a fallback.
 */
class GuardConfigTest {

    private static GuardConfig.AlertService alertService(Map<String, String> properties) {
        Map<String, String> all = new HashMap<>(properties);
        all.put("rollback-service.tokens.admin", "admin");
        all.put("rollback-service.tokens.service", "service");
        all.put("rollback-service.tokens.client", "client");
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .addDefaultInterceptors()
                .withConverter(Duration.class, 100, new DurationConverter())
                .withMapping(GuardConfig.class)
                .withSources(new PropertiesConfigSource(all, "test", 100))
                .build();
        return config.getConfigMapping(GuardConfig.class).alertService();
    }

    @Test
    void readsTheAlertServiceFromItsOwnGroupWithThePromoterOff() {
        GuardConfig.AlertService alertService = alertService(Map.of(
                "rollback-service.promotion.enabled", "false",
                "rollback-service.alert-service.url", "http://alert-service",
                "rollback-service.alert-service.connect-timeout", "2s",
                "rollback-service.alert-service.read-timeout", "4s"));

        assertThat(alertService.url()).isEqualTo("http://alert-service");
        assertThat(alertService.connectTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(alertService.readTimeout()).isEqualTo(Duration.ofSeconds(4));
    }

    @Test
    void theNewNameWinsOverTheFormerOne() {
        GuardConfig.AlertService alertService = alertService(Map.of(
                "rollback-service.alert-service.url", "http://alert-service",
                "rollback-service.alert-service.read-timeout", "4s",
                "rollback-service.promotion.alert-service.url", "http://former",
                "rollback-service.promotion.alert-service.read-timeout", "9s"));

        assertThat(alertService.url()).isEqualTo("http://alert-service");
        assertThat(alertService.readTimeout()).isEqualTo(Duration.ofSeconds(4));
    }

    @Test
    void theFormerNameStillWorksWhenItIsTheOnlyOne() {
        GuardConfig.AlertService alertService = alertService(Map.of(
                "rollback-service.promotion.alert-service.url", "http://former",
                "rollback-service.promotion.alert-service.connect-timeout", "5s"));

        assertThat(alertService.url()).isEqualTo("http://former");
        assertThat(alertService.connectTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(alertService.readTimeout()).isEqualTo(Duration.ofSeconds(3));
    }

    @Test
    void defaultsToTheLocalAlertService() {
        GuardConfig.AlertService alertService = alertService(Map.of());

        assertThat(alertService.url()).isEqualTo("http://127.0.0.1:8083");
        assertThat(alertService.connectTimeout()).isEqualTo(Duration.ofSeconds(1));
        assertThat(alertService.readTimeout()).isEqualTo(Duration.ofSeconds(3));
    }
}
