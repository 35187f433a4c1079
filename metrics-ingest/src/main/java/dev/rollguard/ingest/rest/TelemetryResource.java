package dev.rollguard.ingest.rest;

import dev.rollguard.http.RequestTraceFilter;
import dev.rollguard.ingest.api.IntakeResponse;
import dev.rollguard.ingest.config.IngestConfig;
import dev.rollguard.ingest.service.TelemetryIntakeService;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Uni;
import io.vertx.ext.web.RoutingContext;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;

/** {@code POST /api/telemetry}: telemetry from clients that cannot speak Kafka. */
@Path("/api/telemetry")
public class TelemetryResource {

    private final TelemetryIntakeService intake;
    private final IngestConfig config;

    public TelemetryResource(TelemetryIntakeService intake, IngestConfig config) {
        this.intake = intake;
        this.config = config;
    }

    /**
     * A JSON batch {@code {"events": [...]}} of at most 1000 sync/upload events, with an optional {@code "sentAt"}: when
     * the device sent the request, by the clock of its event times, which then move onto the receiver's clock. 200 with
     * {@code {"accepted": n, "rejected": [{"index", "code", "reason"}]}} once the valid events are acknowledged by the
     * broker. The body may be compressed ({@code Content-Encoding: gzip} or {@code deflate}, {@link ContentCodings}).
     */
    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    @ProducerAccess
    @Blocking // parsing up to 1 MB of JSON is CPU work for a worker thread, not the event loop
    public Uni<IntakeResponse> post(byte[] body, RoutingContext routing) {
        // Every Content-Encoding line, as repeated lines are one list (RFC 9110 5.3); @HeaderParam gives the first.
        byte[] decoded = ContentCodings.decode(
                body,
                routing.request().headers().getAll(HttpHeaders.CONTENT_ENCODING),
                config.intake().maxBodyBytes());
        // The events travel on with the request's id and trace context (Kafka headers), into the windows' exemplars.
        return intake.accept(decoded, routing.get(RequestTraceFilter.CONTEXT_KEY))
                .map(TelemetryResource::response);
    }

    static IntakeResponse response(TelemetryIntakeService.Outcome outcome) {
        return new IntakeResponse(
                outcome.accepted(),
                outcome.rejected().stream()
                        .map(r -> new IntakeResponse.Rejected(r.index(), r.code(), r.reason()))
                        .toList());
    }
}
