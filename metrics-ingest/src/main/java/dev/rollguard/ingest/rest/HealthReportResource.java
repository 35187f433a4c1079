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
@Path(HealthReportResource.PATH)
@AdminAccess
public class HealthReportResource {

    static final String PATH = "/api/health-report";

    /**
     * The earliest and latest instants a report may name: the window store keys windows by epoch milliseconds from the
     * epoch on (Kafka has no earlier record times), and four-digit years keep far-off instants from overflowing them.
     */
    private static final Instant EARLIEST = Instant.EPOCH;

    private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59.999Z");

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

    /** An ISO-8601 instant or epoch milliseconds, from {@link #EARLIEST} to {@link #LATEST}. */
    private static Instant instant(String field, String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        Instant instant;
        try {
            instant = value.chars().allMatch(Character::isDigit)
                    ? Instant.ofEpochMilli(Long.parseLong(value))
                    : Instant.parse(value);
        } catch (DateTimeParseException | NumberFormatException e) {
            throw ApiException.invalid(field, "must be an ISO-8601 instant or epoch milliseconds");
        }
        if (instant.isBefore(EARLIEST) || instant.isAfter(LATEST)) {
            throw ApiException.invalid(field, "must be from " + EARLIEST + " to " + LATEST);
        }
        return instant;
    }
}
