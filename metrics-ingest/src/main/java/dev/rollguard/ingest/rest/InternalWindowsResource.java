package dev.rollguard.ingest.rest;

import dev.rollguard.http.error.ApiException;
import dev.rollguard.ingest.api.WindowsResponse;
import dev.rollguard.ingest.mapping.WindowAggregateCodec;
import dev.rollguard.ingest.service.HealthReportService;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.time.Instant;
import java.util.Base64;

/**
 * {@code GET /api/internal/windows?scope=&from=&to=} (epoch milliseconds): the merged windows of one scope from this
 * instance's store only, for another instance building a health report. Never forwards, so requests cannot loop.
 */
@Path("/api/internal/windows")
@AdminAccess
public class InternalWindowsResource {

    private final HealthReportService reports;

    public InternalWindowsResource(HealthReportService reports) {
        this.reports = reports;
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    @Blocking // interactive queries read RocksDB
    public WindowsResponse windows(
            @QueryParam("scope") String scope, @QueryParam("from") String from, @QueryParam("to") String to) {
        if (scope == null || scope.isBlank()) {
            throw ApiException.invalid("scope", "is required");
        }
        long start = epochMillis("from", from);
        long end = epochMillis("to", to);
        if (start > end) {
            throw ApiException.invalid("from", "must not be after to");
        }
        HealthReportService.ScopeWindows part =
                reports.localWindows(scope, Instant.ofEpochMilli(start), Instant.ofEpochMilli(end));
        return new WindowsResponse(
                part.windows(), Base64.getEncoder().encodeToString(WindowAggregateCodec.encode(part.aggregate())));
    }

    /**
     * Taken as text so that a value that is not a number is a 400 naming the parameter: JAX-RS would answer a
     * {@code Long} parameter it cannot convert with 404.
     */
    private static long epochMillis(String field, String value) {
        if (value == null || value.isBlank()) {
            throw ApiException.invalid(field, "is required, in epoch milliseconds");
        }
        try {
            return Long.parseLong(value.strip());
        } catch (NumberFormatException e) {
            throw ApiException.invalid(field, "must be epoch milliseconds");
        }
    }
}
