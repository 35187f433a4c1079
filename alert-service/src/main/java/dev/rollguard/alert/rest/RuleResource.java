package dev.rollguard.alert.rest;

import dev.rollguard.alert.api.RuleRequest;
import dev.rollguard.alert.api.RuleResponse;
import dev.rollguard.alert.service.RuleService;
import dev.rollguard.http.conditional.ETags;
import io.smallrye.mutiny.Uni;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import java.net.URI;
import java.util.List;
import org.jboss.resteasy.reactive.RestHeader;
import org.jboss.resteasy.reactive.RestPath;
import org.jboss.resteasy.reactive.RestResponse;

/**
 * Rule CRUD; reads with any accepted token, writes with the admin token. A rule's {@code ETag} is its version; {@code
 * If-Match} on a change or delete makes it apply only to the rule at that version (412 {@code PRECONDITION_FAILED}
 * otherwise), so two people editing one rule do not silently undo each other.
 */
@Path("/api/rules")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class RuleResource {

    private final RuleService rules;

    public RuleResource(RuleService rules) {
        this.rules = rules;
    }

    @GET
    public Uni<List<RuleResponse>> list() {
        return rules.list();
    }

    @GET
    @Path("/{id}")
    public Uni<RestResponse<RuleResponse>> get(@RestPath String id) {
        return rules.get(id).map(rule -> RestResponse.ResponseBuilder.ok(rule)
                .header(HttpHeaders.ETAG, ETags.of(rule.version()))
                .build());
    }

    @POST
    public Uni<RestResponse<RuleResponse>> create(@NotNull @Valid RuleRequest request) {
        return rules.create(request)
                .map(rule -> RestResponse.ResponseBuilder.<RuleResponse>created(URI.create("/api/rules/" + rule.id()))
                        .entity(rule)
                        .header(HttpHeaders.ETAG, ETags.of(rule.version()))
                        .build());
    }

    @PUT
    @Path("/{id}")
    public Uni<RestResponse<RuleResponse>> update(
            @RestPath String id,
            @RestHeader(HttpHeaders.IF_MATCH) String ifMatch,
            @NotNull @Valid RuleRequest request) {
        return rules.update(id, ETags.expectedVersion(ifMatch), request)
                .map(rule -> RestResponse.ResponseBuilder.ok(rule)
                        .header(HttpHeaders.ETAG, ETags.of(rule.version()))
                        .build());
    }

    @DELETE
    @Path("/{id}")
    public Uni<RestResponse<Void>> delete(@RestPath String id, @RestHeader(HttpHeaders.IF_MATCH) String ifMatch) {
        return rules.delete(id, ETags.expectedVersion(ifMatch)).replaceWith(RestResponse.noContent());
    }
}
