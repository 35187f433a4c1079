package dev.rollguard.flag.rest;

import static dev.rollguard.flag.domain.TokenKind.ADMIN;
import static dev.rollguard.flag.domain.TokenKind.SERVICE;

import dev.rollguard.flag.api.ActionRequests;
import dev.rollguard.flag.api.SegmentRequest;
import dev.rollguard.flag.api.SegmentResponse;
import dev.rollguard.flag.service.SegmentService;
import dev.rollguard.http.conditional.ETags;
import io.smallrye.mutiny.Uni;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Segments: named constraint sets that flag rules reference (admin token writes; service tokens may read). */
@Path("/api/segments")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Segments", description = "Reusable constraint sets for targeting rules")
public class SegmentResource {

    private final SegmentService segments;
    private final CallerHolder caller;

    public SegmentResource(SegmentService segments, CallerHolder caller) {
        this.segments = segments;
        this.caller = caller;
    }

    @GET
    @Access({ADMIN, SERVICE})
    @Operation(summary = "List segments", description = "By key, each with the flags whose rules use it.")
    public Uni<List<SegmentResponse>> list() {
        return segments.list();
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Access(ADMIN)
    @Operation(
            summary = "Create a segment",
            description = "201 with the segment and its ETag; 409 SEGMENT_EXISTS; 400 INVALID_TARGETING naming each"
                    + " constraint at fault.")
    public Uni<Response> create(
            @Valid @NotNull(message = ActionRequests.BODY_REQUIRED) SegmentRequest body,
            @HeaderParam(FlagResource.IDEMPOTENCY_KEY) String idempotencyKey) {
        return segments.create(caller.change(idempotencyKey), body).map(result -> WriteResponses.respond(result)
                .location(URI.create("/api/segments/" + body.key()))
                .build());
    }

    @GET
    @Path("{key}")
    @Access({ADMIN, SERVICE})
    @Operation(summary = "Get a segment", description = "With ETag: \"<version>\"; 404 SEGMENT_NOT_FOUND.")
    public Uni<Response> get(@PathParam("key") String key) {
        return segments.get(key).map(segment -> Response.ok(segment)
                .header(HttpHeaders.ETAG, ETags.of(segment.version()))
                .build());
    }

    @PUT
    @Path("{key}")
    @Consumes(MediaType.APPLICATION_JSON)
    @Access(ADMIN)
    @Operation(
            summary = "Change a segment",
            description = "Replaces its description and constraints and republishes every flag that uses it (a new"
                    + " version, changeType UPDATED). If-Match is optional: 412 PRECONDITION_FAILED when stale (or the"
                    + " tags name no version; a list is met by any of its versions, * by any); 404 SEGMENT_NOT_FOUND for a segment that is not there, whatever the"
                    + " If-Match.")
    public Uni<Response> update(
            @PathParam("key") String key,
            @Valid @NotNull(message = ActionRequests.BODY_REQUIRED) SegmentRequest body,
            @HeaderParam(HttpHeaders.IF_MATCH) String ifMatch,
            @HeaderParam(FlagResource.IDEMPOTENCY_KEY) String idempotencyKey) {
        return segments.update(caller.change(idempotencyKey), key, ETags.expectedVersion(ifMatch), body)
                .map(result -> WriteResponses.respond(result).build());
    }

    @DELETE
    @Path("{key}")
    @Access(ADMIN)
    @Operation(
            summary = "Delete a segment",
            description = "204; 409 SEGMENT_IN_USE naming the flags whose rules use it; 404 SEGMENT_NOT_FOUND.")
    public Uni<Response> delete(
            @PathParam("key") String key,
            @QueryParam("reason") @Size(max = ActionRequests.MAX_REASON) String reason,
            @HeaderParam(FlagResource.IDEMPOTENCY_KEY) String idempotencyKey) {
        return segments.delete(caller.change(idempotencyKey), key, reason)
                .map(result -> WriteResponses.respond(result).build());
    }
}
