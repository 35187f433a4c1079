package dev.rollguard.console.rest;

import static dev.rollguard.console.client.ServiceClient.enc;
import static dev.rollguard.console.rest.FlagPagesResource.html;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.console.client.ApiResult;
import dev.rollguard.console.client.ServiceClient;
import dev.rollguard.console.client.ServiceClient.Reads;
import dev.rollguard.console.client.ServiceClient.Reads.Pending;
import dev.rollguard.console.client.ServiceClient.Service;
import dev.rollguard.console.config.ConsoleConfig;
import dev.rollguard.console.live.LiveHistory;
import dev.rollguard.console.session.CurrentSession;
import dev.rollguard.console.session.OperatorSession;
import dev.rollguard.console.view.AlertRow;
import dev.rollguard.console.view.RollbackRow;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/** Alerts (active and recent), the guard's actions with their evidence, and the health report. */
@Path("/")
@Produces(MediaType.TEXT_HTML + ";charset=UTF-8")
public class AlertPagesResource {

    private final ServiceClient services;
    private final CurrentSession current;
    private final LiveHistory history;
    private final ConsoleConfig config;

    public AlertPagesResource(
            ServiceClient services, CurrentSession current, LiveHistory history, ConsoleConfig config) {
        this.services = services;
        this.current = current;
        this.history = history;
        this.config = config;
    }

    /** Transitions of the recent list per page; a full page offers the older ones. */
    static final int RECENT_PAGE = 100;

    /**
     * What fires now and the recent transitions, read together; {@code before} (a transition's {@code seq}) shows the
     * transitions older than it, the alert-service's cursor.
     */
    @GET
    @Path("alerts")
    public Response alerts(@QueryParam("before") String before) {
        OperatorSession s = current.get();
        Long cursor = cursor(before);
        if (before != null && cursor == null) {
            return badCursor(s, "before");
        }
        Reads reads = services.reads();
        Pending activeRead = reads.get(Service.ALERT, "/api/alerts?view=active&limit=200", s.token());
        Pending recentRead = reads.get(
                Service.ALERT,
                "/api/alerts?view=history&limit=" + RECENT_PAGE + (cursor == null ? "" : "&before=" + cursor),
                s.token());
        ApiResult active = activeRead.await();
        ApiResult recent = recentRead.await();
        String activeUnknown = unreadable(active, "the alert-service");
        String recentUnknown = unreadable(recent, "the alert-service");
        List<AlertRow> activeRows = new ArrayList<>();
        if (activeUnknown == null) {
            active.body().forEach(a -> activeRows.add(AlertRow.of(a)));
        }
        List<AlertRow> recentRows = new ArrayList<>();
        if (recentUnknown == null) {
            recent.body().forEach(a -> recentRows.add(AlertRow.of(a)));
        }
        if (cursor == null) {
            Set<String> seen = new HashSet<>();
            recentRows.forEach(a -> seen.add(a.alertId() + a.status()));
            // Transitions read from the alerts topic that the alert-service's history does not hold (yet).
            history.recentAlerts().stream()
                    .filter(a -> seen.add(a.alertId() + a.status()))
                    .forEach(recentRows::add);
            recentRows.sort(Comparator.comparing(AlertRow::at, Comparator.nullsLast(Comparator.reverseOrder())));
        }
        String older = recentUnknown == null ? olderLink(recent, RECENT_PAGE, "seq", "/alerts?before=") : null;
        return html(
                200,
                Pages.alerts(s, activeRows, recentRows, activeUnknown, recentUnknown, older, cursor != null)
                        .render());
    }

    /**
     * The link to the page after {@code page} (newest first), or null when {@code page} was not full: {@code
     * prefix} followed by the last row's {@code field} (encoded), the service's cursor.
     */
    static String olderLink(ApiResult page, int limit, String field, String prefix) {
        JsonNode rows = page.body();
        if (!rows.isArray() || rows.size() < limit) {
            return null;
        }
        JsonNode last = rows.get(rows.size() - 1).path(field);
        return last.isValueNode() && !last.asText().isBlank() ? prefix + enc(last.asText()) : null;
    }

    /** A cursor from the query: a positive whole number, null when absent or not one. */
    static Long cursor(String value) {
        if (value == null
                || value.isBlank()
                || value.length() > 19
                || !value.strip().matches("[0-9]+")) {
            return null;
        }
        long n = Long.parseLong(value.strip());
        return n > 0 ? n : null;
    }

    static Response badCursor(OperatorSession s, String name) {
        return html(
                400,
                Pages.error(
                                s,
                                "Not a page",
                                "'" + name + "' is the id of the row a page goes on after: a positive whole number.")
                        .render());
    }

    /** Actions of the guard per page; a full page offers the older ones. */
    static final int ROLLBACK_PAGE = 100;

    /**
     * The guard's actions, newest first, optionally of one flag; {@code before} (an action's {@code id}) shows the
     * actions older than it, the rollback-service's cursor. The id is the rollback-service's own (an alert's
     * fingerprint, ':', its start), so it is passed on encoded and judged there: an id it does not know is its 400,
     * shown on the page.
     */
    @GET
    @Path("rollbacks")
    public Response rollbacks(@QueryParam("flag") String flag, @QueryParam("before") String before) {
        OperatorSession s = current.get();
        // An empty cursor names no action: the newest page.
        String cursor = before == null || before.isBlank() ? null : before;
        String key = flag == null ? "" : flag.strip();
        String filter = key.isEmpty() ? "" : "flag=" + enc(key);
        String query = "/api/rollbacks?limit=" + ROLLBACK_PAGE + (filter.isEmpty() ? "" : "&" + filter)
                + (cursor == null ? "" : "&before=" + enc(cursor));
        ApiResult result = services.get(Service.ROLLBACK, query, s.token());
        String error = unreadable(result, "the rollback-service");
        List<RollbackRow> rows = new ArrayList<>();
        if (error == null) {
            result.body().forEach(r -> rows.add(RollbackRow.of(r)));
        }
        String newest = "/rollbacks" + (filter.isEmpty() ? "" : "?" + filter);
        String older = error == null
                ? olderLink(result, ROLLBACK_PAGE, "id", newest + (filter.isEmpty() ? "?" : "&") + "before=")
                : null;
        return html(
                200,
                Pages.rollbacks(s, rows, flag == null ? "" : flag, error, older, cursor == null ? null : newest)
                        .render());
    }

    /**
     * Why a list could not be read, said so that it never reads as an empty list; null when {@code result} is a list.
     */
    static String unreadable(ApiResult result, String service) {
        if (result.ok() && result.body().isArray()) {
            return null;
        }
        String why;
        if (result.ok()) {
            why = service + " answered something that is not a list";
        } else if (result.unexpected()) {
            why = result.message();
        } else if (result.status() == 401 || result.status() == 403) {
            why = "not permitted: this session may not read it (" + result.message() + ", " + result.code() + ")";
        } else if (result.body().isMissingNode() && result.status() >= 502) {
            why = "service unreachable: " + result.message();
        } else {
            // A refusal of the request itself (a filter out of range) names the fields it refused.
            List<String> violations = new ArrayList<>();
            result.violations().forEach((field, message) -> violations.add(field + ": " + message));
            why = service + " answered " + result.message()
                    + (violations.isEmpty() ? "" : " " + String.join("; ", violations))
                    + " (" + result.code() + ")";
        }
        return "Unknown (" + why + ").";
    }

    @GET
    @Path("rollbacks/evidence")
    public Response rollback(@QueryParam("id") String id) {
        OperatorSession s = current.get();
        if (id == null || id.isBlank()) {
            return FlagPagesResource.seeOther("/rollbacks");
        }
        ApiResult result = ServiceClient.shaped(
                Service.ROLLBACK,
                services.get(Service.ROLLBACK, "/api/rollbacks/" + enc(id), s.token()),
                "an automatic action",
                JsonNode::isObject);
        if (!result.ok()) {
            return FlagPagesResource.failure(s, result, "Rollback " + id);
        }
        return html(200, Pages.rollback(s, RollbackRow.of(result.body()), null).render());
    }

    @GET
    @Path("health-report")
    public Response healthReport(@QueryParam("flag") String flag, @QueryParam("cohort") String cohort) {
        OperatorSession s = current.get();
        StringBuilder query = new StringBuilder("/api/health-report?");
        if (flag != null && !flag.isBlank()) {
            query.append("flag=").append(enc(flag.strip()));
            if (cohort != null && !cohort.isBlank()) {
                query.append("&cohort=").append(enc(cohort));
            }
        }
        // metrics-ingest builds the report by asking its peers, each within 5 s, so a page's deadline would cut off a
        // report on its way, or metrics-ingest's own account of a failed peer. A body that stalls after its headers
        // still ends the wait (and the request) at the report's deadline.
        ApiResult result = services.reads(config.services().healthReportDeadline())
                .getText(Service.INGEST, query.toString(), s.token())
                .await();
        boolean report = isReport(result);
        return html(
                report ? 200 : healthReportStatus(result),
                Pages.healthReport(
                                s,
                                flag == null ? "" : flag,
                                cohort == null ? "" : cohort,
                                report ? result.text() : null,
                                report ? null : healthReportError(result))
                        .render());
    }

    /** The plain text type metrics-ingest answers the report in. */
    private static final Pattern REPORT_TYPE = Pattern.compile("(?i)\\s*text/plain\\s*(;.*)?");

    /**
     * How metrics-ingest's text report begins (HealthReportText): its title in a box, under the box's top edge. A
     * gateway's own text ("OK", "upstream connect error") does not.
     */
    private static final Pattern REPORT_START =
            Pattern.compile("^[\\s\\uFEFF]*(?:╔═*╗\\r?\\n)?║\\s*REPLICATION SYSTEM HEALTH REPORT\\s*║");

    /**
     * A 2xx answer that is metrics-ingest's report: plain text by its Content-Type, beginning as the report does, and
     * not a web page (the report may quote error codes holding markup further in). A proxy's or sign-in page's 200, a
     * gateway's own text or JSON is no report.
     */
    static boolean isReport(ApiResult result) {
        return result.ok()
                && result.contentType() != null
                && REPORT_TYPE.matcher(result.contentType()).matches()
                && result.text() != null
                && REPORT_START.matcher(result.text()).find()
                && !result.page();
    }

    /**
     * The status of a health report page without the report, so that it never passes for one (the page still shows the
     * form and why): 400 when metrics-ingest refused what was asked, 403 when the session's token may not read it, 502
     * when metrics-ingest failed, could not be reached, did not answer in full within the report's deadline, or
     * answered a page that is not a report.
     */
    static int healthReportStatus(ApiResult result) {
        return switch (result.status()) {
            case 400 -> 400;
            case 401, 403 -> 403;
            default -> 502;
        };
    }

    private static String healthReportError(ApiResult result) {
        if (result.ok() && result.page()) {
            return "metrics-ingest answered a page that is not a report (" + result.summary() + ").";
        }
        if (result.ok()) {
            // Said by its status and type only: a gateway's text repeated here would read as the report's.
            return "metrics-ingest gave an unexpected answer that is not a report (" + result.described() + ").";
        }
        if (result.status() == 401 || result.status() == 403) {
            return "Your token may not read the health report (" + result.message() + ", " + result.code() + ").";
        }
        List<String> violations = new ArrayList<>();
        result.violations().forEach((field, message) -> violations.add(field + ": " + message));
        return "metrics-ingest could not build the report: " + result.message()
                + (violations.isEmpty() ? "" : " " + String.join("; ", violations))
                + (result.body().hasNonNull("code") ? " (" + result.code() + ")" : "")
                + ".";
    }
}
