package dev.rollguard.ingest.rest;

import dev.rollguard.http.error.ApiException;
import dev.rollguard.ingest.domain.HealthReport;
import dev.rollguard.ingest.mapping.HealthReportText;
import dev.rollguard.ingest.service.HealthReportService;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * {@code GET /api/health-report}: the replication health report over a time range, for everything, one flag (one
 * or both cohorts) or one table. JSON by default, the boxed text report with {@code Accept: text/plain}.
 */
@Path("/api/health-report")
@AdminAccess
public class HealthReportResource {

    private final HealthReportService reports;

    public HealthReportResource(HealthReportService reports) {
        this.reports = reports;
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    @Blocking // interactive queries read RocksDB
    public HealthReport json(
            @QueryParam("flag") String flag,
            @QueryParam("cohort") String cohort,
            @QueryParam("table") String table,
            @QueryParam("from") String from,
            @QueryParam("to") String to) {
        return reports.report(
                blankToNull(flag), blankToNull(cohort), blankToNull(table), instant("from", from), instant("to", to));
    }

    @GET
    @Produces(MediaType.TEXT_PLAIN + ";charset=UTF-8")
    @Blocking
    public String text(
            @QueryParam("flag") String flag,
            @QueryParam("cohort") String cohort,
            @QueryParam("table") String table,
            @QueryParam("from") String from,
            @QueryParam("to") String to) {
        return HealthReportText.render(json(flag, cohort, table, from, to));
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value;
    }

    /** An ISO-8601 instant or epoch milliseconds. */
    private static Instant instant(String field, String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return value.chars().allMatch(Character::isDigit)
                    ? Instant.ofEpochMilli(Long.parseLong(value))
                    : Instant.parse(value);
        } catch (DateTimeParseException | NumberFormatException e) {
            throw ApiException.invalid(field, "must be an ISO-8601 instant or epoch milliseconds");
        }
    }
}
