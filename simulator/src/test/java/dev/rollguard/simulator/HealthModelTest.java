package dev.rollguard.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HealthModelTest {

    private final HealthModel health = new HealthModel(0.01, 800);

    @Test
    void aConditionHitsOnlyClientsServedItsVariant() {
        health.set(new HealthModel.Condition(
                "bad-release", "offline-recording", "on", HealthModel.Kind.UPLOAD, 0.3, 2_000));

        Map<String, String> treated = Map.of("offline-recording", "on");
        Map<String, String> control = Map.of("offline-recording", "off");

        assertThat(health.failureRate(treated, HealthModel.Kind.UPLOAD)).isEqualTo(0.31);
        assertThat(health.extraMillis(treated, HealthModel.Kind.UPLOAD)).isEqualTo(2_000);
        assertThat(health.failureRate(treated, HealthModel.Kind.SYNC)).isEqualTo(0.01);
        assertThat(health.failureRate(control, HealthModel.Kind.UPLOAD)).isEqualTo(0.01);
        assertThat(health.failureRate(Map.of(), HealthModel.Kind.UPLOAD)).isEqualTo(0.01);
    }

    @Test
    void anOutageHitsEveryoneAndConditionsCanBeCleared() {
        health.set(new HealthModel.Condition("outage", null, null, HealthModel.Kind.ANY, 0.5, 0));
        assertThat(health.failureRate(Map.of("x", "on"), HealthModel.Kind.SYNC)).isEqualTo(0.51);

        health.clear("outage");
        assertThat(health.failureRate(Map.of("x", "on"), HealthModel.Kind.SYNC)).isEqualTo(0.01);
    }

    @Test
    void pendingGrowthAndSilenceHitOnlyTheirVariant() {
        health.set(HealthModel.Condition.pendingGrowth("pending", "write-batching", "on", 5));
        health.set(HealthModel.Condition.silence("silent", "telemetry-v2", "on"));

        assertThat(health.pendingFactor(Map.of("write-batching", "on"), HealthModel.Kind.SYNC))
                .isEqualTo(5.0);
        assertThat(health.pendingFactor(Map.of("write-batching", "off"), HealthModel.Kind.UPLOAD))
                .isEqualTo(1.0);
        assertThat(health.silent(Map.of("telemetry-v2", "on"))).isTrue();
        assertThat(health.silent(Map.of("telemetry-v2", "off", "write-batching", "on")))
                .isFalse();
        assertThat(health.failureRate(Map.of("telemetry-v2", "on", "write-batching", "on"), HealthModel.Kind.SYNC))
                .isEqualTo(0.01);
    }

    @Test
    void failureRateNeverExceedsOne() {
        health.set(new HealthModel.Condition("a", null, null, HealthModel.Kind.ANY, 0.8, 0));
        health.set(new HealthModel.Condition("b", null, null, HealthModel.Kind.ANY, 0.8, 0));
        assertThat(health.failureRate(Map.of(), HealthModel.Kind.SYNC)).isEqualTo(1.0);
    }

    @Test
    void settingAConditionAgainReplacesIt() {
        health.set(new HealthModel.Condition("a", null, null, HealthModel.Kind.ANY, 0.2, 0));
        health.set(new HealthModel.Condition("a", null, null, HealthModel.Kind.ANY, 0.1, 0));
        assertThat(health.failureRate(Map.of(), HealthModel.Kind.SYNC)).isEqualTo(0.11);
    }

    @Test
    void parsesOperatorDurationsAndFailureSpecs() {
        assertThat(Durations.parse("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(Durations.parse("30s")).isEqualTo(Duration.ofSeconds(30));
        assertThat(Durations.parse("5m")).isEqualTo(Duration.ofMinutes(5));
        assertThatThrownBy(() -> Durations.parse("5 minutes")).isInstanceOf(IllegalArgumentException.class);

        var condition = SimulatorMain.parseFailure("offline-recording=on:0.3");
        assertThat(condition.flagKey()).isEqualTo("offline-recording");
        assertThat(condition.variant()).isEqualTo("on");
        assertThat(condition.failureRate()).isEqualTo(0.3);
    }
}
