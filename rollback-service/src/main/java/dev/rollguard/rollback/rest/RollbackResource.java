package dev.rollguard.rollback.rest;

import dev.rollguard.http.error.ApiException;
import dev.rollguard.http.error.ErrorBody;
import dev.rollguard.rollback.api.RollbackView;
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
import jakarta.ws.rs.core.MediaType;
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

    /** Newest first; {@code flag} and {@code outcome} narrow it down. */
    @GET
    public Uni<List<RollbackView>> list(
            @QueryParam("flag") @Size(min = 1, max = 200) String flag,
            @QueryParam("outcome") String outcome,
            @QueryParam("limit") @DefaultValue("50") String limit) {
        return rollbacks
                .history(flag, parseOutcome(outcome), parseLimit(limit))
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
