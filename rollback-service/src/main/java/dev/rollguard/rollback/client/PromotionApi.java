package dev.rollguard.rollback.client;

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
import java.util.List;

/**
 * The flag-service endpoints the promoter uses besides the guard's: the flags with their rollout plans, and promote.
 * Kept apart from {@link FlagServiceApi}, whose calls only ever reduce exposure: this is the one call that widens it,
 * and the flag-service lets a service token make it only for an auto stage whose soak is over, on the stage version
 * judged.
 */
@Path("/api/flags")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public interface PromotionApi {

    @GET
    Uni<Response> list(@HeaderParam("Authorization") String authorization);

    @POST
    @Path("{key}/rollout/promote")
    Uni<Response> promote(
            @PathParam("key") String key,
            @HeaderParam("Authorization") String authorization,
            @HeaderParam(FlagServiceApi.IDEMPOTENCY_KEY) String idempotencyKey,
            PromoteRequest body);

    /** Body of a promotion: why, and the stage version whose evidence was judged. */
    record PromoteRequest(String reason, long stageVersion) {}

    /** The parts of a flag the promoter reads; other fields are ignored. */
    record PlanBody(
            String key,
            Boolean enabled,
            Boolean killed,
            String killReason,
            Boolean archived,
            List<StageBody> stages,
            Integer currentStage,
            String stageEnteredAt,
            Long stageVersion,
            Boolean paused,
            String pauseReason,
            Boolean aborted,
            String abortReason,
            MinimumsBody onMinimumsNotMet,
            Long version,
            String updatedAt) {}

    /** One stage of a plan. */
    record StageBody(
            String name,
            Double percentage,
            Long minSoakSeconds,
            Long minClientsPerCohort,
            String promotion,
            Integer tolerancePercent) {}

    /** What happens to a stage that misses its minimums. */
    record MinimumsBody(Long deadlineSeconds, Long extensionSeconds, String then) {}
}
