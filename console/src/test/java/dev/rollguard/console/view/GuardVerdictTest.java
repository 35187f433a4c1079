package dev.rollguard.console.view;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.rollguard.console.client.ApiResult;
import org.junit.jupiter.api.Test;

class GuardVerdictTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void theDecidingMetricIsTheStrongestCriticalRegressionElseTheFirstWithClients() throws Exception {
        GuardVerdict regression = GuardVerdict.of(
                json(
                        """
                {"flagKey": "f", "status": "REGRESSION", "severity": "CRITICAL", "metrics": [
                  {"metric": "a", "status": "NO_DATA", "treatedClients": 0, "controlClients": 0},
                  {"metric": "b", "status": "REGRESSION", "severity": "WARNING", "evidence": 40},
                  {"metric": "c", "status": "REGRESSION", "severity": "CRITICAL", "evidence": 1.2},
                  {"metric": "d", "status": "REGRESSION", "severity": "CRITICAL", "evidence": 3.5}]}
                """));
        GuardVerdict inconclusive = GuardVerdict.of(
                json(
                        """
                {"flagKey": "f", "status": "INCONCLUSIVE", "metrics": [
                  {"metric": "a", "status": "NO_DATA", "treatedClients": 0, "controlClients": 0},
                  {"metric": "b", "status": "INCONCLUSIVE", "treatedClients": 0, "controlClients": 30},
                  {"metric": "c", "status": "INCONCLUSIVE", "treatedClients": 9, "controlClients": 30}]}
                """));
        GuardVerdict stored = GuardVerdict.of(
                json("{\"flagKey\": \"f\", \"status\": \"HEALTHY\", \"summary\": \"HEALTHY: 3 of 3\"}"));

        assertThat(regression.deciding().metric()).isEqualTo("d");
        assertThat(inconclusive.deciding().metric()).isEqualTo("b");
        assertThat(stored.deciding()).isNull();
        assertThat(stored.metrics()).isEmpty();
        assertThat(stored.judgedAt()).isNull();
    }

    @Test
    void effectIntervalCountsAndEvidenceReadAsTheAlertServiceWritesThem() throws Exception {
        GuardVerdict.Metric open = GuardVerdict.of(
                        json(
                                """
                {"flagKey": "f", "status": "REGRESSION", "metrics": [
                  {"metric": "m", "status": "REGRESSION", "relativeEffect": 0.0831, "effectLower": 0.012,
                   "effectUpper": null, "confidence": 0.95, "treatedClients": 1234567, "controlClients": 3,
                   "treatedEvents": 10000.4, "controlEvents": 0, "evidence": 0.4234}]}
                """))
                .metrics()
                .get(0);
        GuardVerdict.Metric zeroControl = GuardVerdict.of(
                        json(
                                """
                {"flagKey": "f", "status": "REGRESSION", "metrics": [
                  {"metric": "m", "label": "crashes", "status": "REGRESSION", "relativeEffect": null,
                   "confidence": 0.999, "evidence": 2}]}
                """))
                .metrics()
                .get(0);

        assertThat(open.effectLabel()).isEqualTo("+8.31 %");
        assertThat(open.intervalLabel()).isEqualTo("95.0 % interval [+1.2 %, +∞]");
        assertThat(open.clientsLabel()).isEqualTo("1 234 567 vs 3");
        assertThat(open.eventsLabel()).isEqualTo("10 000 vs 0");
        assertThat(open.evidenceLabel()).isEqualTo("0.423 of threshold");
        assertThat(open.evidenceCalled()).isFalse();
        assertThat(open.name()).isEqualTo("m");
        assertThat(zeroControl.effectLabel()).isEqualTo("-");
        assertThat(zeroControl.intervalLabel()).isEmpty();
        assertThat(zeroControl.evidenceCalled()).isTrue();
        assertThat(zeroControl.name()).isEqualTo("crashes");
    }

    @Test
    void anErrorAnswerSaysWhyWithoutEchoingAPage() {
        ApiResult html = new ApiResult(502, MissingNode.getInstance(), "<html><body>Bad gateway</body></html>", null);
        ApiResult notAList = new ApiResult(200, JSON.createObjectNode(), "{}", null);

        assertThat(GuardAnswer.of(html).error())
                .isEqualTo("The guard's verdicts are unavailable: the alert-service answered HTTP 502.");
        assertThat(GuardAnswer.of(ApiResult.unavailable("alert-service", "no connection within 5 s"))
                        .error())
                .isEqualTo("The guard's verdicts are unavailable: alert-service is unavailable:"
                        + " no connection within 5 s.");
        assertThat(GuardAnswer.of(notAList).error()).contains("not a list");
        assertThat(GuardAnswer.of(notAList).verdicts()).isEmpty();
    }

    private static JsonNode json(String text) throws Exception {
        return JSON.readTree(text);
    }
}
