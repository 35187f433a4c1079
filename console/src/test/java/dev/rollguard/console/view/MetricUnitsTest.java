package dev.rollguard.console.view;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MetricUnitsTest {

    @Test
    void guardMetricsAreSharesCountsOrPercentages() {
        assertThat(MetricUnits.format("failure", 0.0311)).isEqualTo("3.11 %");
        assertThat(MetricUnits.format("sync-duration", 0.05)).isEqualTo("5.0 %");
        assertThat(MetricUnits.format("storage-used-pct", 42.5)).isEqualTo("42.5 %");
        assertThat(MetricUnits.format("pending-mutations", 1.2)).isEqualTo("1.2000");
    }

    @Test
    void windowFiguresTakeTheirUnitFromTheirName() {
        assertThat(MetricUnits.format("errorRate", 0.123)).isEqualTo("12.3 %");
        assertThat(MetricUnits.format("uploadFailureRate", 0.0)).isEqualTo("0 %");
        assertThat(MetricUnits.format("durationP95Ms", 850.0)).isEqualTo("850 ms");
        assertThat(MetricUnits.format("durationP99Ms", 12_000.0)).isEqualTo("12.0 s");
        assertThat(MetricUnits.format("storageUsedPctMax", 93.5)).isEqualTo("93.5 %");
        assertThat(MetricUnits.format("quotaExceededCount", 3.0)).isEqualTo("3.0000");
        assertThat(MetricUnits.format("queuedItems", 3.0))
                .as("a name ending in 'ms' that is not a duration")
                .isEqualTo("3.0000");
    }

    @Test
    void aMissingOrNonFiniteValueIsShownAsItCame() {
        assertThat(MetricUnits.format("errorRate", null)).isEqualTo("-");
        assertThat(MetricUnits.format("errorRate", Double.NaN)).isEqualTo("-");
        assertThat(MetricUnits.format("errorRate", Double.POSITIVE_INFINITY)).isEqualTo("Infinity");
    }
}
