package dev.rollguard.rollback.rest;

import dev.rollguard.http.error.ApiException;
import dev.rollguard.http.error.ErrorBody;
import dev.rollguard.rollback.api.RollbackView;
import dev.rollguard.rollback.domain.UnknownActionException;
import dev.rollguard.rollback.mapping.RollbackMapper;
import dev.rollguard.rollback.service.RollbackService;
import dev.rollguard.schemas.event.RollbackOutcome;
import io.smallrye.mutiny.Uni;
import jakarta.validation.constraints.Size;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.UriInfo;
import java.util.Arrays;
import java.util.List;

/** What the guard did and why: the history of its actions, with evidence and timings. Admin token required. */
@Path("/api/rollbacks")
@Produces(MediaType.APPLICATION_JSON)
public class RollbackResource {

    private static final int MAX_LIMIT = 500;

    private final RollbackService rollbacks;

    public RollbackResource(RollbackService rollbacks) {
        this.rollbacks = rollbacks;
    }

    /**
     * Newest first: {@code createdAt} descending, then {@code id} descending, a total order. {@code flag} and {@code
     * outcome} narrow it down; {@code before} (the id of the last action of the previous page) gives the next page:
     * the actions that come after that action in this order, under the same filters. An action stored meanwhile with a
     * newer {@code createdAt} is not in the later pages, only in a new first page.
     */
    @GET
    public Uni<List<RollbackView>> list(
            @QueryParam("flag") @Size(min = 1, max = 200) String flag,
            @QueryParam("outcome") String outcome,
            @QueryParam("before") String before,
            @QueryParam("limit") @DefaultValue("50") String limit,
            @Context UriInfo uri) {
        // An empty before (no value) names no action either: refused below, not read as the first page.
        String cursor = before == null && uri.getQueryParameters().containsKey("before") ? "" : before;
        return rollbacks
                .history(flag, parseOutcome(outcome), cursor, parseLimit(limit))
                .onFailure(UnknownActionException.class)
                .transform(unknown -> new ApiException(
                        400,
                        "INVALID_CURSOR",
                        unknown.getMessage() + " before takes the id of the last action of the previous page."))
                .map(records -> records.stream().map(RollbackMapper::toView).toList());
    }

    /** One action by id (the idempotency key: alert fingerprint + ":" + startsAt millis). */
    @GET
    @Path("{id}")
    public Uni<RollbackView> get(@PathParam("id") String id) {
        return rollbacks.find(id).map(record -> {
            if (record == null) {
                throw new ApiException(404, "NOT_FOUND", "No rollback action with id " + id + ".");
            }
            return RollbackMapper.toView(record);
        });
    }

    /** Parsed here rather than by JAX-RS, which answers an unparsable query parameter with 404. */
    static int parseLimit(String limit) {
        try {
            int value = Integer.parseInt(limit.trim());
            if (value >= 1 && value <= MAX_LIMIT) {
                return value;
            }
        } catch (NumberFormatException e) {
            // answered below like an out-of-range number
        }
        throw new ApiException(
                400,
                "VALIDATION_FAILED",
                "The request is invalid.",
                List.of(new ErrorBody.Violation("limit", "must be a whole number from 1 to " + MAX_LIMIT)));
    }

    private static RollbackOutcome parseOutcome(String outcome) {
        if (outcome == null) {
            return null;
        }
        try {
            return RollbackOutcome.valueOf(outcome);
        } catch (IllegalArgumentException e) {
            String message = "must be one of " + Arrays.toString(RollbackOutcome.values());
            throw new ApiException(
                    400,
                    "VALIDATION_FAILED",
                    "The request is invalid.",
                    List.of(new ErrorBody.Violation("outcome", message)));
        }
    }
}
