package dev.rollguard.rollback.rest;

import dev.rollguard.http.error.ApiException;
import dev.rollguard.rollback.domain.ActionState;
import dev.rollguard.rollback.domain.RolloutStep;
import dev.rollguard.rollback.service.Promoter;
import io.smallrye.mutiny.Uni;
import jakarta.validation.constraints.Size;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.util.List;

/**
 * The steps the promoter took on rollout plans (promote, extend, hold, revert), with their evidence, under the
 * field names of {@code RolloutActionEvent}. Admin token required.
 */
@Path("/api/rollouts")
@Produces(MediaType.APPLICATION_JSON)
public class RolloutResource {

    private final Promoter promoter;

    public RolloutResource(Promoter promoter) {
        this.promoter = promoter;
    }

    /** Newest first; {@code flag} narrows it down. */
    @GET
    public Uni<List<RolloutStep>> list(
            @QueryParam("flag") @Size(min = 1, max = 200) String flag,
            @QueryParam("limit") @DefaultValue("50") String limit) {
        return promoter.history(flag, RollbackResource.parseLimit(limit));
    }

    /** One step by id (flag key ':' stage version ':' action, and ':' flag version for a promotion). */
    @GET
    @Path("{id}")
    public Uni<RolloutStep> get(@PathParam("id") String id) {
        return promoter.find(id).map(step -> {
            if (step == null || step.state() != ActionState.DONE) {
                throw new ApiException(404, "NOT_FOUND", "No rollout step with id " + id + ".");
            }
            return step;
        });
    }
}
