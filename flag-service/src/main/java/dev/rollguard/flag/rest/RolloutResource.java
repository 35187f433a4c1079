package dev.rollguard.flag.rest;

import static dev.rollguard.flag.domain.TokenKind.ADMIN;
import static dev.rollguard.flag.domain.TokenKind.SERVICE;

import dev.rollguard.flag.api.ActionRequests;
import dev.rollguard.flag.api.RolloutResponse;
import dev.rollguard.flag.domain.TokenKind;
import dev.rollguard.flag.service.FlagCommands;
import dev.rollguard.flag.service.FlagQueries;
import dev.rollguard.http.error.ApiException;
import io.smallrye.mutiny.Uni;
import jakarta.validation.Valid;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * The rollout controls of a flag, in the manner of Argo Rollouts. Each accepted control answers the flag (with its
 * ETag) and writes one audit row; each refusal is a 409 (the flag's state does not allow it) or a 422 (no reason
 * given where one is required). Idempotency-Key works as on every write.
 */
@Path("/api/flags/{key}/rollout")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Rollout", description = "See a flag's rollout plan; promote, pause, resume, abort and retry it")
public class RolloutResource {

    private final FlagCommands commands;
    private final FlagQueries queries;
    private final CallerHolder caller;

    public RolloutResource(FlagCommands commands, FlagQueries queries, CallerHolder caller) {
        this.commands = commands;
        this.queries = queries;
        this.caller = caller;
    }

    @GET
    @Access({ADMIN, SERVICE})
    @Operation(
            summary = "The rollout plan as a timeline",
            description = "Stages with their status, the current one, time in stage and soak left, and whether the"
                    + " rollout is paused, killed or aborted.")
    public Uni<RolloutResponse> get(@PathParam("key") String key) {
        return queries.rollout(key);
    }

    @POST
    @Path("promote")
    @Consumes(MediaType.APPLICATION_JSON)
    @Access({ADMIN, SERVICE})
    @Operation(
            summary = "Promote to the next stage now",
            description = "409 KILLED, ABORTED, PAUSED, LAST_STAGE, NO_STAGE, SOAK_NOT_ELAPSED unless skipSoak, or"
                    + " STAGE_CHANGED when stageVersion is given and the flag has entered another stage since that version. Service"
                    + " tokens (the promoter) may only promote a stage whose promotion is auto (409 MANUAL_STAGE),"
                    + " never skipping its soak.")
    public Uni<Response> promote(
            @PathParam("key") String key,
            @Valid ActionRequests.PromoteRequest body,
            @HeaderParam(FlagResource.IDEMPOTENCY_KEY) String idempotencyKey) {
        String reason = body == null ? null : body.reason();
        boolean skipSoak = body != null && Boolean.TRUE.equals(body.skipSoak());
        boolean automatic = caller.caller().kind() == TokenKind.SERVICE;
        if (automatic && skipSoak) {
            throw new ApiException(403, "FORBIDDEN", "a service token may not skip a stage's soak");
        }
        Long stageVersion = body == null ? null : body.stageVersion();
        return commands.promote(caller.change(idempotencyKey), key, reason, skipSoak, stageVersion, automatic)
                .map(result -> WriteResponses.respond(result).build());
    }

    @POST
    @Path("pause")
    @Consumes(MediaType.APPLICATION_JSON)
    @Access({ADMIN, SERVICE})
    @Operation(
            summary = "Pause the rollout",
            description = "Keeps the current share; promoting is refused until resumed. Pausing a paused flag"
                    + " changes nothing.")
    public Uni<Response> pause(
            @PathParam("key") String key,
            @Valid ActionRequests.ReasonRequest body,
            @HeaderParam(FlagResource.IDEMPOTENCY_KEY) String idempotencyKey) {
        return commands.pause(caller.change(idempotencyKey), key, reason(body))
                .map(result -> WriteResponses.respond(result).build());
    }

    @POST
    @Path("resume")
    @Consumes(MediaType.APPLICATION_JSON)
    @Access(ADMIN)
    @Operation(summary = "Resume a paused rollout", description = "422 REASON_REQUIRED, 409 NOT_PAUSED.")
    public Uni<Response> resume(
            @PathParam("key") String key,
            @Valid ActionRequests.ReasonRequest body,
            @HeaderParam(FlagResource.IDEMPOTENCY_KEY) String idempotencyKey) {
        return commands.resume(caller.change(idempotencyKey), key, reason(body))
                .map(result -> WriteResponses.respond(result).build());
    }

    @POST
    @Path("abort")
    @Consumes(MediaType.APPLICATION_JSON)
    @Access(ADMIN)
    @Operation(
            summary = "Abort the rollout",
            description = "Back to 0 %, the off value for everyone, until a retry; 422 REASON_REQUIRED,"
                    + " 409 ABORTED or NOT_STARTED.")
    public Uni<Response> abort(
            @PathParam("key") String key,
            @Valid ActionRequests.ReasonRequest body,
            @HeaderParam(FlagResource.IDEMPOTENCY_KEY) String idempotencyKey) {
        return commands.abort(caller.change(idempotencyKey), key, reason(body))
                .map(result -> WriteResponses.respond(result).build());
    }

    @POST
    @Path("retry")
    @Consumes(MediaType.APPLICATION_JSON)
    @Access(ADMIN)
    @Operation(
            summary = "Retry after an abort or a kill",
            description = "Back to the stage where the rollout stopped, soak starting again, kill lifted, not"
                    + " paused; 422 REASON_REQUIRED, 409 NOTHING_TO_RETRY.")
    public Uni<Response> retry(
            @PathParam("key") String key,
            @Valid ActionRequests.ReasonRequest body,
            @HeaderParam(FlagResource.IDEMPOTENCY_KEY) String idempotencyKey) {
        return commands.retry(caller.change(idempotencyKey), key, reason(body))
                .map(result -> WriteResponses.respond(result).build());
    }

    private static String reason(ActionRequests.ReasonRequest body) {
        return body == null ? null : body.reason();
    }
}
