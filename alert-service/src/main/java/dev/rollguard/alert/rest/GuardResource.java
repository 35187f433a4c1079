package dev.rollguard.alert.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rollguard.alert.domain.judgment.FlagVerdict;
import dev.rollguard.alert.domain.judgment.MetricVerdict;
import dev.rollguard.alert.service.EvaluationService;
import dev.rollguard.alert.service.GuardEvaluator.FlagGuard;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The guard's latest verdict on every flag under rollout that it has judged: NO_DATA and INSUFFICIENT_DATA are states
 * here, as are REGRESSION (with its severity), HEALTHY (non-inferior on every metric with data) and INCONCLUSIVE, each
 * with every metric's evidence.
 */
@Path("/api/guard")
public class GuardResource {

    /** One metric's evidence. */
    public record MetricView(
            String metric,
            String label,
            String status,
            String severity,
            String method,
            Double treated,
            Double control,
            Double relativeEffect,
            Double effectLower,
            Double effectUpper,
            double confidence,
            long treatedClients,
            long controlClients,
            double treatedEvents,
            double controlEvents,
            double evidence,
            String summary) {}

    /** A flag's verdict. */
    public record FlagView(
            String flagKey,
            Long stageVersion,
            String status,
            String severity,
            String summary,
            Instant judgedAt,
            List<MetricView> metrics) {}

    private final EvaluationService evaluation;
    private final ObjectMapper json;

    public GuardResource(EvaluationService evaluation, ObjectMapper json) {
        this.evaluation = evaluation;
        this.json = json;
    }

    /** Every verdict, or with {@code ?flag=KEY} that flag's alone (an empty list when the guard has not judged it). */
    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public Uni<List<FlagView>> list(@QueryParam("flag") String flag) {
        return evaluation
                .guardVerdicts()
                .chain(latest -> evaluation.storedGuardVerdicts().map(stored -> {
                    List<FlagView> views = new ArrayList<>();
                    latest.values().stream()
                            .filter(guard -> flag == null || flag.equals(guard.flagKey()))
                            .forEach(guard -> views.add(view(guard)));
                    stored.forEach((key, verdictJson) -> {
                        if (!latest.containsKey(key) && (flag == null || flag.equals(key))) {
                            views.add(storedView(key, verdictJson));
                        }
                    });
                    views.sort(Comparator.comparing(FlagView::flagKey));
                    return views;
                }));
    }

    private static FlagView view(FlagGuard guard) {
        FlagVerdict verdict = guard.verdict();
        List<MetricView> metrics = new ArrayList<>();
        for (MetricVerdict m : verdict.metrics()) {
            metrics.add(new MetricView(
                    m.spec().name(),
                    m.spec().label(),
                    m.status().name(),
                    m.severity().name(),
                    m.method(),
                    finite(m.treated()),
                    finite(m.control()),
                    finite(m.relativeEffect()),
                    finite(m.relativeInterval().lower()),
                    finite(m.relativeInterval().upper()),
                    m.confidence(),
                    m.treatedClients(),
                    m.controlClients(),
                    m.treatedEvents(),
                    m.controlEvents(),
                    m.evidenceFraction(),
                    m.summary()));
        }
        return new FlagView(
                guard.flagKey(),
                guard.stageVersion(),
                verdict.status().name(),
                verdict.severity().name(),
                verdict.summary(),
                Instant.ofEpochMilli(guard.windowEnd()),
                metrics);
    }

    /** A verdict stored before the last restart, not judged since: its state and summary only. */
    private FlagView storedView(String flag, String verdictJson) {
        JsonNode node;
        try {
            node = json.readTree(verdictJson);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            node = json.createObjectNode();
        }
        return new FlagView(
                flag,
                null,
                node.path("status").asText(null),
                node.path("severity").asText(null),
                node.path("summary").asText(null),
                null,
                List.of());
    }

    private static Double finite(double value) {
        return Double.isFinite(value) ? value : null;
    }
}
