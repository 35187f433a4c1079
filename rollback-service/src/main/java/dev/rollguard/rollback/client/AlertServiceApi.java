package dev.rollguard.rollback.client;

import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;

/** The alert-service endpoint the promoter reads: the guard's verdicts, with the alerts pending or firing per flag. */
@Path("/api/guard")
@Produces(MediaType.APPLICATION_JSON)
public interface AlertServiceApi {

    @GET
    Uni<Response> verdicts(@HeaderParam("Authorization") String authorization);

    /** A flag's verdict as served; other fields are ignored. */
    record VerdictBody(
            String flagKey,
            Long stageVersion,
            String status,
            String summary,
            Double confidence,
            String judgedAt,
            List<MetricBody> metrics,
            List<AlertBody> alerts) {}

    /** One metric's evidence. */
    record MetricBody(
            String metric,
            String status,
            Double treated,
            Double control,
            Double relativeEffect,
            Double effectLower,
            Double effectUpper,
            Long treatedClients,
            Long controlClients,
            Double nonInferiorityP,
            Double shownWithin) {}

    /** A rule level pending or firing on one of the flag's scopes. */
    record AlertBody(String ruleId, String ruleName, String scopeKey, String cohort, String severity, String phase) {}
}
