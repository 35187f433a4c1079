package dev.rollguard.flag.rest;

import static dev.rollguard.flag.domain.TokenKind.ADMIN;
import static dev.rollguard.flag.domain.TokenKind.SERVICE;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.flag.api.ActionRequests;
import dev.rollguard.flag.api.FlagRequest;
import dev.rollguard.flag.api.FlagResponse;
import dev.rollguard.flag.api.PreviewRequest;
import dev.rollguard.flag.api.PreviewResponse;
import dev.rollguard.flag.domain.TokenKind;
import dev.rollguard.flag.service.FlagCommands;
import dev.rollguard.flag.service.FlagQueries;
import dev.rollguard.flag.service.PreviewService;
import dev.rollguard.http.conditional.ETags;
import dev.rollguard.http.conditional.ExpectedVersion;
import dev.rollguard.http.error.ApiException;
import io.smallrye.mutiny.Uni;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.util.List;
import java.util.function.UnaryOperator;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** The admin API of flags (admin token; service tokens may read, kill, revert a stage and pause). */
@Path("/api/flags")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Flags", description = "Create, change, kill and stage flags")
public class FlagResource {

    public static final String IDEMPOTENCY_KEY = "Idempotency-Key";

    private final FlagCommands commands;
    private final FlagQueries queries;
    private final FlagMergePatch patches;
    private final PreviewService previews;
    private final CallerHolder caller;

    public FlagResource(
            FlagCommands commands,
            FlagQueries queries,
            FlagMergePatch patches,
            PreviewService previews,
            CallerHolder caller) {
        this.commands = commands;
        this.queries = queries;
        this.patches = patches;
        this.previews = previews;
        this.caller = caller;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Access(ADMIN)
    @Operation(
            summary = "Create a flag",
            description = "201 with the flag and its ETag; 409 FLAG_EXISTS. With a currentStage the stage sets the"
                    + " share: a rolloutPercentage other than the stage's is 409 SHARE_SET_BY_STAGE, as on a PATCH.")
    public Uni<Response> create(
            @Valid @NotNull(message = ActionRequests.BODY_REQUIRED) FlagRequest body,
            @HeaderParam(IDEMPOTENCY_KEY) String idempotencyKey) {
        return commands.create(caller.change(idempotencyKey), body).map(result -> WriteResponses.respond(result)
                .location(URI.create("/api/flags/" + body.key()))
                .build());
    }

    @GET
    @Access({ADMIN, SERVICE})
    @Operation(summary = "List flags", description = "Archived flags only with includeArchived=true.")
    public Uni<List<FlagResponse>> list(@QueryParam("includeArchived") boolean includeArchived) {
        return queries.list(includeArchived);
    }

    @GET
    @Path("{key}")
    @Access({ADMIN, SERVICE})
    @Operation(
            summary = "Get a flag",
            description = "With ETag: \"<version>\"; 304 when If-None-Match matches it (weakly, in a list, or *).")
    public Uni<Response> get(@PathParam("key") String key, @HeaderParam(HttpHeaders.IF_NONE_MATCH) String ifNoneMatch) {
        return queries.get(key).map(flag -> {
            String etag = ETags.of(flag.version());
            if (ETags.notModified(ifNoneMatch, etag)) {
                return Response.notModified().header(HttpHeaders.ETAG, etag).build();
            }
            return Response.ok(flag).header(HttpHeaders.ETAG, etag).build();
        });
    }

    @PATCH
    @Path("{key}")
    @Consumes({"application/merge-patch+json", MediaType.APPLICATION_JSON})
    @Access(ADMIN)
    @Operation(
            summary = "Change a flag",
            description = "A JSON merge patch of the writable fields. If-Match with the ETag is required: 428"
                    + " without it, 412 PRECONDITION_FAILED when the flag changed meanwhile (or the tags name no"
                    + " version, as * does; a list is met by any of its versions); 404 FLAG_NOT_FOUND for a flag that is not there, whatever the If-Match."
                    + " Another currentStage is a stage set (409 ABORTED on an aborted flag); while a stage is set,"
                    + " another rolloutPercentage is 409 SHARE_SET_BY_STAGE.")
    public Uni<Response> update(
            @PathParam("key") String key,
            @HeaderParam(HttpHeaders.IF_MATCH) String ifMatch,
            @HeaderParam(IDEMPOTENCY_KEY) String idempotencyKey,
            JsonNode patch) {
        UnaryOperator<FlagRequest> edit = patches.edit(patch);
        return commands.update(caller.change(idempotencyKey), key, requiredVersion(ifMatch), edit)
                .map(result -> WriteResponses.respond(result).build());
    }

    /**
     * The version a PATCH expects. {@code If-Match: *} names none: it would be met by any version, and the edit would
     * overwrite changes its author never saw, which is what requiring If-Match prevents; so it is answered like a tag
     * that names no version (412 once the flag is found).
     */
    static ExpectedVersion requiredVersion(String ifMatch) {
        ExpectedVersion expected = ETags.requiredVersion(ifMatch, "PATCH of a flag");
        return expected.versions() == null ? ExpectedVersion.oneOf(expected.tag(), List.of()) : expected;
    }

    @DELETE
    @Path("{key}")
    @Access(ADMIN)
    @Operation(summary = "Archive a flag", description = "Not erased: it serves its off value and leaves lists.")
    public Uni<Response> archive(
            @PathParam("key") String key,
            @QueryParam("reason") @Size(max = ActionRequests.MAX_REASON) String reason,
            @HeaderParam(IDEMPOTENCY_KEY) String idempotencyKey) {
        return commands.archive(caller.change(idempotencyKey), key, reason)
                .map(result -> WriteResponses.respond(result).build());
    }

    @POST
    @Path("{key}/kill")
    @Consumes(MediaType.APPLICATION_JSON)
    @Access({ADMIN, SERVICE})
    @Operation(
            summary = "Kill a flag",
            description = "Serves its off value to everyone. Killing a killed flag keeps the first reason on the"
                    + " flag and records the new one in the audit log.")
    public Uni<Response> kill(
            @PathParam("key") String key,
            @Valid @NotNull(message = ActionRequests.BODY_REQUIRED) ActionRequests.KillRequest body,
            @HeaderParam(IDEMPOTENCY_KEY) String idempotencyKey) {
        return commands.kill(caller.change(idempotencyKey), key, body.reason())
                .map(result -> WriteResponses.respond(result).build());
    }

    @POST
    @Path("{key}/unkill")
    @Consumes(MediaType.APPLICATION_JSON)
    @Access(ADMIN)
    @Operation(summary = "Un-kill a flag", description = "The explicit way back from a kill; needs a reason.")
    public Uni<Response> unkill(
            @PathParam("key") String key,
            @Valid @NotNull(message = ActionRequests.BODY_REQUIRED) ActionRequests.KillRequest body,
            @HeaderParam(IDEMPOTENCY_KEY) String idempotencyKey) {
        return commands.unkill(caller.change(idempotencyKey), key, body.reason())
                .map(result -> WriteResponses.respond(result).build());
    }

    @POST
    @Path("{key}/stage")
    @Consumes(MediaType.APPLICATION_JSON)
    @Access({ADMIN, SERVICE})
    @Operation(
            summary = "Move along the rollout plan",
            description = "advance (a promote: refused when killed, aborted, paused, at the last stage or before the"
                    + " soak time), revert, or set a stage index; 409 NO_STAGE when there is none to move to,"
                    + " STAGE_CHANGED when stageVersion is given and the flag has entered another stage since that version."
                    + " Service tokens may only revert.")
    public Uni<Response> stage(
            @PathParam("key") String key,
            @Valid @NotNull(message = ActionRequests.BODY_REQUIRED) ActionRequests.StageRequest body,
            @HeaderParam(IDEMPOTENCY_KEY) String idempotencyKey) {
        if (caller.caller().kind() == TokenKind.SERVICE && !"revert".equals(body.action())) {
            throw new ApiException(403, "FORBIDDEN", "a service token may only revert a stage");
        }
        return commands.stage(
                        caller.change(idempotencyKey),
                        key,
                        body.action(),
                        body.stage(),
                        body.stageVersion(),
                        body.reason())
                .map(result -> WriteResponses.respond(result).build());
    }

    @POST
    @Path("{key}/pause")
    @Consumes(MediaType.APPLICATION_JSON)
    @Access({ADMIN, SERVICE})
    @Operation(
            summary = "Pause the rollout",
            description = "Keeps the current share; advancing is refused until resumed. Pausing a paused flag"
                    + " changes nothing. Same as POST {key}/rollout/pause.")
    public Uni<Response> pause(
            @PathParam("key") String key,
            @Valid ActionRequests.ReasonRequest body,
            @HeaderParam(IDEMPOTENCY_KEY) String idempotencyKey) {
        return commands.pause(caller.change(idempotencyKey), key, body == null ? null : body.reason())
                .map(result -> WriteResponses.respond(result).build());
    }

    @POST
    @Path("{key}/resume")
    @Consumes(MediaType.APPLICATION_JSON)
    @Access(ADMIN)
    @Operation(
            summary = "Resume a paused rollout",
            description = "422 REASON_REQUIRED without a reason, 409 NOT_PAUSED when not paused."
                    + " Same as POST {key}/rollout/resume.")
    public Uni<Response> resume(
            @PathParam("key") String key,
            @Valid ActionRequests.ReasonRequest body,
            @HeaderParam(IDEMPOTENCY_KEY) String idempotencyKey) {
        return commands.resume(caller.change(idempotencyKey), key, body == null ? null : body.reason())
                .map(result -> WriteResponses.respond(result).build());
    }

    @POST
    @Path("{key}/preview")
    @Consumes(MediaType.APPLICATION_JSON)
    @Access({ADMIN, SERVICE})
    @Operation(
            summary = "Preview who matches",
            description = "What the sample context would be served: {variant, value, reason, ruleId, treated}."
                    + " Draft rules and variantWeights replace the stored ones for this answer only; nothing is"
                    + " saved. 400 INVALID_TARGETING for a draft that could not be saved.")
    public Uni<PreviewResponse> preview(
            @PathParam("key") String key, @Valid @NotNull(message = ActionRequests.BODY_REQUIRED) PreviewRequest body) {
        return previews.preview(key, body);
    }
}
