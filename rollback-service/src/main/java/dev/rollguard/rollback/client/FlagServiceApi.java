package dev.rollguard.rollback.client;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Map;

/**
 * The endpoints of the flag-service the guard uses (docs/contracts.md). There is deliberately no call that enables,
 * resumes or advances a flag: the guard only ever reduces exposure.
 *
 * <p>Answers are raw responses so that {@link FlagServiceClient} can tell a missing flag, a refusal and an outage
 * apart.
 */
@Path("/")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public interface FlagServiceApi {

    String IDEMPOTENCY_KEY = "Idempotency-Key";
    /** Request id of a change (the flag-service keeps it in the audit row); not sent when null. */
    String REQUEST_ID = "X-Request-Id";
    /** W3C trace context of a change; not sent when null. */
    String TRACEPARENT = "traceparent";

    @GET
    @Path("api/flags/{key}")
    Uni<Response> getFlag(@PathParam("key") String key, @HeaderParam("Authorization") String authorization);

    @POST
    @Path("api/flags/{key}/kill")
    Uni<Response> kill(
            @PathParam("key") String key,
            @HeaderParam("Authorization") String authorization,
            @HeaderParam(IDEMPOTENCY_KEY) String idempotencyKey,
            @HeaderParam(REQUEST_ID) String requestId,
            @HeaderParam(TRACEPARENT) String traceparent,
            ReasonRequest body);

    @POST
    @Path("api/flags/{key}/stage")
    Uni<Response> stage(
            @PathParam("key") String key,
            @HeaderParam("Authorization") String authorization,
            @HeaderParam(IDEMPOTENCY_KEY) String idempotencyKey,
            @HeaderParam(REQUEST_ID) String requestId,
            @HeaderParam(TRACEPARENT) String traceparent,
            StageRequest body);

    @POST
    @Path("api/flags/{key}/pause")
    Uni<Response> pause(
            @PathParam("key") String key,
            @HeaderParam("Authorization") String authorization,
            @HeaderParam(IDEMPOTENCY_KEY) String idempotencyKey,
            @HeaderParam(REQUEST_ID) String requestId,
            @HeaderParam(TRACEPARENT) String traceparent,
            ReasonRequest body);

    @POST
    @Path("ofrep/v1/evaluate/flags/{key}")
    Uni<Response> evaluate(
            @PathParam("key") String key, @HeaderParam("Authorization") String authorization, OfrepRequest body);

    /** Body of kill and pause. */
    record ReasonRequest(String reason) {}

    /**
     * Body of a stage move; the rollback-service only sends {@code revert}. {@code stageVersion}, when set, ties the
     * move to the stage it was decided on (409 STAGE_CHANGED once another is in force); left out when null, so a body
     * without it is the same bytes as before it existed (an action resumed under its Idempotency-Key).
     */
    record StageRequest(String action, String reason, @JsonInclude(JsonInclude.Include.NON_NULL) Long stageVersion) {}

    /** OFREP evaluation request. */
    record OfrepRequest(Map<String, Object> context) {}

    /** The parts of an OFREP answer the visibility probe reads. */
    record OfrepResult(String key, String variant, String reason) {}

    /** Error body of every Rollguard service. */
    record ErrorBody(String code, String message) {}

    /** The parts of the flag JSON the guard reads; other fields are ignored. */
    record FlagBody(
            String key,
            Boolean enabled,
            Boolean killed,
            Boolean paused,
            Integer currentStage,
            GuardPolicyBody guardPolicy,
            Long version,
            String updatedAt,
            Long stageVersion) {}

    /** A flag's guard policy as the flag-service serves it. */
    record GuardPolicyBody(String action, Boolean dryRun, Long cooldownSeconds) {}
}
