package dev.rollguard.rollback.client;

import dev.rollguard.rollback.config.GuardConfig;
import io.quarkus.rest.client.reactive.QuarkusRestClientBuilder;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The alert-service endpoints the rollback-service reads: the guard's verdicts, with the alerts pending or firing per
 * flag (the promoter), and an alert's latest transition (the guard, before it changes a flag).
 */
@Path("/api")
@Produces(MediaType.APPLICATION_JSON)
public interface AlertServiceApi {

    @GET
    @Path("/guard")
    Uni<Response> verdicts(@HeaderParam("Authorization") String authorization);

    /** The latest transition of the alert of this fingerprint ({@code view=history&limit=1}), none if unknown. */
    @GET
    @Path("/alerts")
    Uni<Response> latest(
            @QueryParam("fingerprint") String fingerprint,
            @QueryParam("view") String view,
            @QueryParam("limit") int limit,
            @HeaderParam("Authorization") String authorization);

    /** The client of these endpoints, with the configured URL and timeouts. */
    static AlertServiceApi build(GuardConfig config) {
        GuardConfig.AlertService alertService = config.alertService();
        return QuarkusRestClientBuilder.newBuilder()
                .baseUri(URI.create(alertService.url()))
                .connectTimeout(alertService.connectTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .readTimeout(alertService.readTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .disableDefaultMapper(true)
                .build(AlertServiceApi.class);
    }

    /** One alert transition as served; other fields are ignored. */
    record AlertTransitionBody(String fingerprint, String status) {}

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
