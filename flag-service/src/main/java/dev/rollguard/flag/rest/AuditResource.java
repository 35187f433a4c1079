package dev.rollguard.flag.rest;

import static dev.rollguard.flag.domain.TokenKind.ADMIN;

import dev.rollguard.flag.api.AuditResponse;
import dev.rollguard.flag.config.FlagServiceConfig;
import dev.rollguard.flag.repository.AuditRepository;
import dev.rollguard.flag.service.FlagErrors;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** The append-only audit log. */
@Path("/api/audit")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Audit", description = "Who changed what, when and why")
public class AuditResource {

    private final AuditRepository audit;
    private final FlagServiceConfig config;

    public AuditResource(AuditRepository audit, FlagServiceConfig config) {
        this.audit = audit;
        this.config = config;
    }

    @GET
    @Access(ADMIN)
    @Operation(
            summary = "Search the audit log",
            description =
                    "Filters: flag key ('*' for the global switch), segment key, actor (actor or token name), since and"
                            + " until (ISO-8601 instants, until exclusive); newest first (time, then id). before=<id>"
                            + " answers the rows after that one in this order: pass the last id of a page for the next.")
    public Uni<List<AuditResponse>> search(
            @QueryParam("flag") String flag,
            @QueryParam("segment") String segment,
            @QueryParam("actor") String actor,
            @QueryParam("since") String since,
            @QueryParam("until") String until,
            @QueryParam("before") String before,
            @QueryParam("limit") String limit) {
        int max = config.audit().maxLimit();
        int rows = limit == null || limit.isBlank() ? config.audit().defaultLimit() : rows(limit);
        if (rows < 1 || rows > max) {
            throw FlagErrors.invalid("limit", "must be between 1 and " + max);
        }
        Instant from = instant("since", since);
        Instant to = instant("until", until);
        Long cursor = cursor(before);
        return Panache.withSession(() -> audit.search(
                        blankToNull(flag), blankToNull(segment), blankToNull(actor), from, to, cursor, rows))
                .map(list -> list.stream()
                        .map(e -> new AuditResponse(
                                e.id,
                                e.flagKey,
                                e.segmentKey,
                                e.action,
                                e.actor,
                                e.tokenName,
                                e.reason,
                                e.fromStage,
                                e.toStage,
                                e.before,
                                e.after,
                                e.idempotencyKey,
                                e.at,
                                e.requestId,
                                e.traceId))
                        .toList());
    }

    private static int rows(String limit) {
        try {
            return Integer.parseInt(limit.strip());
        } catch (NumberFormatException e) {
            throw FlagErrors.invalid("limit", "must be a whole number");
        }
    }

    private static Long cursor(String before) {
        if (before == null || before.isBlank()) {
            return null;
        }
        try {
            long id = Long.parseLong(before.strip());
            if (id > 0) {
                return id;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw FlagErrors.invalid("before", "must be the id of an audit row (a positive whole number)");
    }

    private static Instant instant(String name, String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return Instant.parse(value.strip());
        } catch (DateTimeParseException e) {
            throw FlagErrors.invalid(name, "must be an ISO-8601 instant such as 2026-01-31T12:00:00Z");
        }
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.strip();
    }
}
