package dev.rollguard.rollback.client;

import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/** The alert-service's list of the alerts firing now, read by the guard before it changes a flag. */
@Path("/api/alerts")
@Produces(MediaType.APPLICATION_JSON)
public interface ActiveAlertsApi {

    /** The alerts firing now with this fingerprint: one, or none when it resolved. */
    @GET
    Uni<Response> firing(
            @QueryParam("fingerprint") String fingerprint, @HeaderParam("Authorization") String authorization);

    /** One active alert as served; other fields are ignored. */
    record ActiveAlertBody(String fingerprint, String status) {}
}
