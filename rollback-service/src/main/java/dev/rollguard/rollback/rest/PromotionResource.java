package dev.rollguard.rollback.rest;

import dev.rollguard.rollback.domain.Assessment;
import dev.rollguard.rollback.service.Promoter;
import jakarta.validation.constraints.Size;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.util.List;

/**
 * The promoter's latest assessment of every flag on a rollout plan: what it will do, and what an auto stage waits
 * for. Admin token required.
 */
@Path("/api/promotions")
@Produces(MediaType.APPLICATION_JSON)
public class PromotionResource {

    private final Promoter promoter;

    public PromotionResource(Promoter promoter) {
        this.promoter = promoter;
    }

    /** Sorted by flag key; {@code flag} narrows it to one flag (an empty list when the promoter does not watch it). */
    @GET
    public List<Assessment> list(@QueryParam("flag") @Size(min = 1, max = 200) String flag) {
        return promoter.assessments(flag);
    }
}
