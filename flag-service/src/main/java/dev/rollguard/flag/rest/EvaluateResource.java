package dev.rollguard.flag.rest;

import static dev.rollguard.flag.domain.TokenKind.ADMIN;
import static dev.rollguard.flag.domain.TokenKind.CLIENT;
import static dev.rollguard.flag.domain.TokenKind.SERVICE;

import dev.rollguard.flag.service.EvaluationService;
import dev.rollguard.http.error.ErrorBody;
import dev.rollguard.http.error.ErrorMappers;
import io.smallrye.common.annotation.NonBlocking;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** A plain GET to evaluate one flag for one subject, for scripts and the console. */
@Path("/api/evaluate")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Evaluation", description = "Evaluate a flag for a targeting key")
public class EvaluateResource {

    private final EvaluationService evaluation;

    public EvaluateResource(EvaluationService evaluation) {
        this.evaluation = evaluation;
    }

    @GET
    @Path("{key}")
    @NonBlocking
    @Access(
            value = {CLIENT, ADMIN, SERVICE},
            rateLimited = true)
    @Operation(
            summary = "Evaluate one flag",
            description = "200 {key, value, reason, variant, metadata}; 404 FLAG_NOT_FOUND; 400"
                    + " TARGETING_KEY_MISSING when a percentage rollout needs a targetingKey.")
    public Response evaluate(@PathParam("key") String key, @QueryParam("targetingKey") String targetingKey) {
        EvaluationService.Result result = evaluation.evaluate(evaluation.state(), key, targetingKey);
        if (result instanceof EvaluationService.Failure failure) {
            int status = EvaluationService.FLAG_NOT_FOUND.equals(failure.errorCode()) ? 404 : 400;
            return ErrorMappers.json(status, new ErrorBody(failure.errorCode(), failure.errorDetails()));
        }
        return Response.ok(result).build();
    }
}
