package dev.rollguard.console.view;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class RollbackRowTest {

    @Test
    void readsTheHistoryViewWithTheEventsFieldNamesAndMeasuresEachStep() throws Exception {
        RollbackRow row = RollbackRow.of(
                new ObjectMapper()
                        .readTree(
                                """
                {"id": "fp:1", "flagKey": "checkout", "action": "KILL", "outcome": "APPLIED", "reason": "critical",
                 "ruleName": "treatment worse", "metric": "errorRate", "comparator": "WORSE_THAN_CONTROL",
                 "threshold": 0.02, "observedValue": 0.12, "sampleSize": 480,
                 "comparison": {"treatmentValue": 0.12, "controlValue": 0.01, "treatmentSamples": 480,
                                "controlSamples": 9520, "pValue": 1e-9, "method": "two-proportion-z"},
                 "firstBreachAt": "2026-01-31T12:00:00Z", "windowClosedAt": "2026-01-31T12:00:05Z",
                 "alertFiredAt": "2026-01-31T12:00:05.200Z", "alertReceivedAt": "2026-01-31T12:00:05.300Z",
                 "flagChangedAt": "2026-01-31T12:00:05.450Z", "visibleAt": null,
                 "createdAt": "2026-01-31T12:00:05.300Z"}
                """));

        assertThat(row.ruleName()).isEqualTo("treatment worse");
        assertThat(row.comparison().controlSamples()).isEqualTo(9520);
        assertThat(row.timings())
                .extracting(RollbackRow.Step::sincePreviousMs)
                .containsExactly(null, 5000L, 200L, 100L, 150L, null);
        assertThat(row.breachToFlipMs()).isEqualTo(5450L);
        assertThat(row.at()).hasToString("2026-01-31T12:00:05.450Z");
    }

    @Test
    void readsTheEarlierNestedView() throws Exception {
        RollbackRow row = RollbackRow.of(
                new ObjectMapper()
                        .readTree(
                                """
                {"id": "fp:2", "outcome": "DRY_RUN", "evidence": {"ruleName": "r", "threshold": 0.5},
                 "timings": {"alertReceivedAt": "2026-01-31T12:00:00Z"}}
                """));

        assertThat(row.ruleName()).isEqualTo("r");
        assertThat(row.threshold()).isEqualTo(0.5);
        assertThat(row.timings().get(3).at()).hasToString("2026-01-31T12:00:00Z");
    }
}
