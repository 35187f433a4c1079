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
            @QueryParam("scope") String scope, @QueryParam("from") Long from, @QueryParam("to") Long to) {
        if (scope == null || scope.isBlank()) {
            throw ApiException.invalid("scope", "is required");
        }
        if (from == null || to == null || from > to) {
            throw ApiException.invalid("from", "from and to are required epoch milliseconds, from <= to");
        }
        HealthReportService.ScopeWindows part =
                reports.localWindows(scope, Instant.ofEpochMilli(from), Instant.ofEpochMilli(to));
        return new WindowsResponse(
                part.windows(), Base64.getEncoder().encodeToString(WindowAggregateCodec.encode(part.aggregate())));
    }
}
