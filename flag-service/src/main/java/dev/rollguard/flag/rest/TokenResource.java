package dev.rollguard.flag.rest;

import static dev.rollguard.flag.domain.TokenKind.ADMIN;

import dev.rollguard.flag.api.ActionRequests;
import dev.rollguard.flag.api.TokenRequest;
import dev.rollguard.flag.api.TokenResponse;
import dev.rollguard.flag.service.TokenService;
import io.smallrye.mutiny.Uni;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** API tokens (admin only). The secret is shown once, in the answer to its creation. */
@Path("/api/tokens")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Tokens", description = "Admin, service and client tokens")
public class TokenResource {

    private final TokenService tokens;
    private final CallerHolder caller;

    public TokenResource(TokenService tokens, CallerHolder caller) {
        this.tokens = tokens;
        this.caller = caller;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Access(ADMIN)
    @Operation(summary = "Create a token", description = "201 with the token's secret, shown only this once.")
    public Uni<Response> create(@Valid @NotNull(message = ActionRequests.BODY_REQUIRED) TokenRequest body) {
        // Audited with the X-Rollguard-Actor; no Idempotency-Key: a replay could not show the secret again.
        return tokens.create(body, caller.change(null))
                .map(token -> Response.status(201).entity(token).build());
    }

    @GET
    @Access(ADMIN)
    @Operation(summary = "List tokens", description = "Without their secrets.")
    public Uni<List<TokenResponse>> list() {
        return tokens.list();
    }

    @DELETE
    @Path("{name}")
    @Access(ADMIN)
    @Operation(summary = "Revoke a token")
    public Uni<TokenResponse> revoke(@PathParam("name") String name) {
        return tokens.revoke(name, caller.change(null));
    }
}
