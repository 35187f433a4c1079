package dev.rollguard.flag.rest;

import static dev.rollguard.flag.domain.TokenKind.ADMIN;
import static dev.rollguard.flag.domain.TokenKind.SERVICE;

import dev.rollguard.flag.api.ActionRequests;
import dev.rollguard.flag.api.GlobalSwitchResponse;
import dev.rollguard.flag.service.FlagCommands;
import dev.rollguard.flag.service.FlagQueries;
import io.smallrye.mutiny.Uni;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** The environment-wide kill switch: every flag serves its off value while it is on. */
@Path("/api/kill-switch")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Kill switch", description = "The global kill switch")
public class KillSwitchResource {

    private final FlagCommands commands;
    private final FlagQueries queries;
    private final CallerHolder caller;

    public KillSwitchResource(FlagCommands commands, FlagQueries queries, CallerHolder caller) {
        this.commands = commands;
        this.queries = queries;
        this.caller = caller;
    }

    @GET
    @Access({ADMIN, SERVICE})
    @Operation(summary = "State of the global kill switch")
    public Uni<GlobalSwitchResponse> get() {
        return queries.globalSwitch();
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Access(ADMIN)
    @Operation(summary = "Turn the global kill switch on", description = "Needs a reason.")
    public Uni<Response> kill(
            @Valid @NotNull(message = ActionRequests.BODY_REQUIRED) ActionRequests.KillRequest body,
            @HeaderParam(FlagResource.IDEMPOTENCY_KEY) String idempotencyKey) {
        return commands.globalKill(caller.change(idempotencyKey), body.reason())
                .map(result -> WriteResponses.respond(result).build());
    }

    @DELETE
    @Access(ADMIN)
    @Operation(summary = "Turn the global kill switch off")
    public Uni<Response> unkill(
            @QueryParam("reason") @Size(max = ActionRequests.MAX_REASON) String reason,
            @HeaderParam(FlagResource.IDEMPOTENCY_KEY) String idempotencyKey) {
        return commands.globalUnkill(caller.change(idempotencyKey), reason)
                .map(result -> WriteResponses.respond(result).build());
    }
}
