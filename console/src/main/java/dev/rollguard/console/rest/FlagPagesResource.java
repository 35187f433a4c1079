package dev.rollguard.console.rest;

import static dev.rollguard.console.client.ServiceClient.enc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollguard.console.client.ApiResult;
import dev.rollguard.console.client.ServiceClient;
import dev.rollguard.console.client.ServiceClient.Reads;
import dev.rollguard.console.client.ServiceClient.Reads.Pending;
import dev.rollguard.console.client.ServiceClient.Service;
import dev.rollguard.console.live.LiveHistory;
import dev.rollguard.console.session.CurrentSession;
import dev.rollguard.console.session.OperatorSession;
import dev.rollguard.console.session.SessionStore;
import dev.rollguard.console.view.AlertRow;
import dev.rollguard.console.view.AuditRow;
import dev.rollguard.console.view.FlagView;
import dev.rollguard.console.view.GuardAnswer;
import dev.rollguard.console.view.Marker;
import dev.rollguard.console.view.RollbackRow;
import dev.rollguard.console.view.RolloutStep;
import dev.rollguard.console.view.WindowPoint;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The flags: list and search, create and edit, one flag's page with its rollout, live charts, audit and evidence.
 */
@Path("/")
@Produces(MediaType.TEXT_HTML + ";charset=UTF-8")
public class FlagPagesResource {

    private static final Map<String, String> NOTICES = Map.ofEntries(
            Map.entry("created", "Flag created."),
            Map.entry("saved", "Flag saved."),
            Map.entry("kill", "Flag killed: every client gets its off value."),
            Map.entry("unkill", "Flag un-killed: it serves its rollout again."),
            Map.entry("advance", "Moved to the next stage."),
            Map.entry("revert", "Moved back one stage."),
            Map.entry("set", "Stage set."),
            Map.entry("promote", "Promoted to the next stage."),
            Map.entry("pause", "Rollout paused: nothing promotes it until it is resumed."),
            Map.entry("resume", "Rollout resumed."),
            Map.entry("abort", "Rollout aborted: every client gets the off value until a retry."),
            Map.entry("retry", "Rollout retried: back at the stage where it stopped, its soak starting again."),
            Map.entry("rule-added", "Rule added: it is tried after the rules above it."),
            Map.entry("rule-saved", "Rule saved."),
            Map.entry("rule-moved", "Rule moved: rules are tried in the order shown."),
            Map.entry(
                    "rule-removed", "Rule removed: the subjects it matched fall to the next rules, then the rollout."),
            Map.entry("weights-saved", "Variant weights saved."));

    private final ServiceClient services;
    private final CurrentSession current;
    private final PageAccess access;
    private final LiveHistory history;
    private final ObjectMapper json;

    public FlagPagesResource(
            ServiceClient services, CurrentSession current, LiveHistory history, ObjectMapper json, PageAccess access) {
        this.access = access;
        this.services = services;
        this.current = current;
        this.history = history;
        this.json = json;
    }

    @GET
    public Response home() {
        return Response.seeOther(URI.create("/flags")).build();
    }

    @GET
    @Path("flags")
    public Response list(@QueryParam("q") String q, @HeaderParam("HX-Request") String htmx) {
        OperatorSession s = current.get();
        Reads reads = services.reads();
        Pending flagsRead = reads.get(Service.FLAG, "/api/flags", s.token());
        Pending globalRead = reads.get(Service.FLAG, "/api/kill-switch", s.token());
        ApiResult flags = flagsRead.await();
        ApiResult global =
                ServiceClient.shaped(Service.FLAG, globalRead.await(), "the kill switch", b -> b.path("killed")
                        .isBoolean());
        List<FlagView> views = new ArrayList<>();
        // A list the flag-service does not give (an error, an answer that is not a list) is said, never drawn as no
        // flags.
        String unknown = AlertPagesResource.unreadable(flags, "the flag-service");
        if (unknown == null) {
            flags.body().forEach(f -> views.add(FlagView.of(f)));
        }
        List<FlagView> shown = views.stream()
                .filter(f -> f.matches(q))
                .sorted(Comparator.comparing(FlagView::key))
                .toList();
        Pages.GlobalSwitch globalSwitch = global.ok()
                ? new Pages.GlobalSwitch(
                        global.body().path("killed").asBoolean(),
                        global.body().path("reason").asText(null),
                        global.body().path("updatedBy").asText(null))
                : null;
        // An unread switch is said unknown, never drawn as off.
        String globalError = global.ok() ? null : "The global kill switch is unknown: " + global.message() + ".";
        String error = unknown == null ? null : "Flags could not be read: " + unknown;
        return html(
                unknownStatus(unknown, htmx),
                Pages.flags(s, shown, q == null ? "" : q, globalSwitch, globalError, error)
                        .render());
    }

    /**
     * 200 for a list that was read; 502 for a whole page whose list could not be read. A section htmx reloads (the
     * search box) answers 200 with its Unknown row: htmx swaps no 5xx answer and would keep the rows of before.
     */
    static int unknownStatus(String unknown, String htmx) {
        return unknown == null || "true".equals(htmx) ? 200 : 502;
    }

    @GET
    @Path("flags/new")
    public Response newFlag() {
        OperatorSession s = current.get();
        if (!s.canWrite()) {
            return forbidden(s);
        }
        return html(200, Pages.flagForm(s, FlagForm.empty(), true, null).render());
    }

    @POST
    @Path("flags")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response create(MultivaluedMap<String, String> params) {
        OperatorSession s = current.get();
        if (!s.canWrite() || !SessionStore.csrfMatches(s, params.getFirst("_csrf"))) {
            return forbidden(s);
        }
        FlagForm form = FlagForm.of(params);
        ObjectNode body = form.toRequest(json, true);
        if (body == null) {
            return html(
                    400,
                    Pages.flagForm(s, form, true, "Some fields need a fix.").render());
        }
        ApiResult result = services.write(Service.FLAG, "POST", "/api/flags", s, body, Map.of());
        if (result.ok()) {
            return seeOther("/flags/" + enc(form.key()) + "?notice=created");
        }
        String error = formError(form, result);
        return html(
                result.status() == 503 || result.unanswered() ? result.status() : 400,
                Pages.flagForm(s, form, true, error).render());
    }

    @GET
    @Path("flags/{key}/edit")
    public Response edit(@PathParam("key") String key) {
        PageAccess.Granted flag = access.flagToChange(key);
        if (flag.refused()) {
            return flag.refusal();
        }
        OperatorSession s = flag.session();
        return html(
                200,
                Pages.flagForm(s, FlagForm.of(FlagView.of(flag.body())), false, null)
                        .render());
    }

    @POST
    @Path("flags/{key}/edit")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response save(@PathParam("key") String key, MultivaluedMap<String, String> params) {
        OperatorSession s = current.get();
        if (!s.canWrite() || !SessionStore.csrfMatches(s, params.getFirst("_csrf"))) {
            return forbidden(s);
        }
        params.putSingle("key", key);
        FlagForm form = FlagForm.of(params);
        ObjectNode body = form.toRequest(json, false);
        if (body == null) {
            return html(
                    400,
                    Pages.flagForm(s, form, false, "Some fields need a fix.").render());
        }
        ApiResult result = services.write(
                Service.FLAG,
                "PATCH",
                "/api/flags/" + enc(key),
                s,
                body,
                Map.of("If-Match", "\"" + form.version() + "\""));
        if (result.ok()) {
            return seeOther("/flags/" + enc(key) + "?notice=saved");
        }
        String error = result.status() == 412
                ? "Someone changed this flag while you were editing it. Open it again to see their change,"
                        + " then make yours."
                : formError(form, result);
        return html(
                result.status() == 503 || result.unanswered() ? result.status() : 400,
                Pages.flagForm(s, form, false, error).render());
    }

    @GET
    @Path("flags/{key}")
    public Response flag(
            @PathParam("key") String key,
            @QueryParam("notice") String notice,
            @QueryParam("auditBefore") String auditBefore) {
        OperatorSession s = current.get();
        Long cursor = AlertPagesResource.cursor(auditBefore);
        if (auditBefore != null && cursor == null) {
            return AlertPagesResource.badCursor(s, "auditBefore");
        }
        // Every service is asked at once and waited for until one deadline: a slow one costs its section, not the page.
        Reads reads = services.reads();
        Pending flagRead = reads.get(Service.FLAG, "/api/flags/" + enc(key), s.token());
        Pending auditRead = s.canWrite()
                ? reads.get(Service.FLAG, auditQuery(key) + (cursor == null ? "" : "&before=" + cursor), s.token())
                : null;
        Pending alertsRead = reads.get(Service.ALERT, alertsQuery(key), s.token());
        Pending rollbacksRead = reads.get(Service.ROLLBACK, rollbacksQuery(key), s.token());
        Pending stepsRead = reads.get(Service.ROLLBACK, RolloutResource.stepsQuery(key), s.token());
        Pending guardRead = reads.get(Service.ALERT, GuardPagesResource.GUARD_API, s.token());
        Pending timelineRead = reads.get(Service.FLAG, RolloutResource.timelineQuery(key), s.token());
        Pending promotionsRead = reads.get(Service.ROLLBACK, RolloutResource.promotionsQuery(key), s.token());
        ApiResult flag = ServiceClient.shaped(Service.FLAG, flagRead.await(), "a flag", FlagPagesResource::isFlag);
        if (!flag.ok()) {
            return failure(s, flag, "Flag " + key);
        }
        List<String> problems = new ArrayList<>();
        ApiResult auditPage = auditRead == null ? null : auditRead.await();
        List<AuditRow> audit = auditPage == null ? List.of() : audit(auditPage, problems);
        String auditOlder = auditPage != null && problems.isEmpty()
                ? AlertPagesResource.olderLink(auditPage, AUDIT_PAGE, "id", "/flags/" + enc(key) + "?auditBefore=")
                : null;
        List<String> alertProblems = new ArrayList<>();
        List<AlertRow> alerts = alerts(alertsRead.await(), key, alertProblems);
        List<String> rollbackProblems = new ArrayList<>();
        List<RollbackRow> rollbacks = rollbacks(rollbacksRead.await(), key, rollbackProblems);
        List<String> stepProblems = new ArrayList<>();
        List<RolloutStep> steps = RolloutResource.steps(stepsRead.await(), history, key, stepProblems);
        GuardAnswer guard = GuardAnswer.of(guardRead.await());
        String auditError = problems.isEmpty() ? null : problems.get(0);
        return html(
                200,
                Pages.flag(
                                s,
                                FlagView.of(flag.body()),
                                audit,
                                auditOlder,
                                cursor != null,
                                alerts,
                                alertProblems.isEmpty() ? null : alertProblems.get(0),
                                rollbacks,
                                rollbackProblems.isEmpty() ? null : rollbackProblems.get(0),
                                RolloutResource.read(key, timelineRead.await(), promotionsRead.await()),
                                steps,
                                stepProblems.isEmpty() ? null : stepProblems.get(0),
                                guard.forFlag(key).orElse(null),
                                guard.forFlag(key)
                                        .map(v -> v.staleness(flag.body()))
                                        .orElse(null),
                                guard.error(),
                                PreviewForm.empty(),
                                notice == null ? null : NOTICES.get(notice),
                                auditError)
                        .render());
    }

    /** The live charts' starting point: the windows held in memory and what happened on the same time axis. */
    @GET
    @Path("flags/{key}/series.json")
    @Produces(MediaType.APPLICATION_JSON)
    public Map<String, Object> series(@PathParam("key") String key) {
        OperatorSession s = current.get();
        Reads reads = services.reads();
        Pending alertsRead = reads.get(Service.ALERT, alertsQuery(key), s.token());
        Pending rollbacksRead = reads.get(Service.ROLLBACK, rollbacksQuery(key), s.token());
        Pending stepsRead = reads.get(Service.ROLLBACK, RolloutResource.stepsQuery(key), s.token());
        Pending auditRead = s.canWrite() ? reads.get(Service.FLAG, auditQuery(key), s.token()) : null;
        List<String> problems = new ArrayList<>();
        Map<String, Marker> markers = new LinkedHashMap<>();
        alerts(alertsRead.await(), key, problems)
                .forEach(a -> Marker.of(a).ifPresent(m -> markers.putIfAbsent(m.id(), m)));
        rollbacks(rollbacksRead.await(), key, problems)
                .forEach(r -> Marker.of(r).ifPresent(m -> markers.putIfAbsent(m.id(), m)));
        RolloutResource.steps(stepsRead.await(), history, key, problems)
                .forEach(r -> Marker.of(r).ifPresent(m -> markers.putIfAbsent(m.id(), m)));
        if (auditRead != null) {
            audit(auditRead.await(), problems)
                    .forEach(e -> Marker.of(e).ifPresent(m -> markers.putIfAbsent(m.id(), m)));
        }
        List<WindowPoint> windows = history.windows(key);
        return Map.of("windows", windows, "markers", markers.values(), "problems", problems);
    }

    /** Audit rows per page of a flag; a full page offers the older ones. */
    static final int AUDIT_PAGE = 50;

    private static String auditQuery(String key) {
        return "/api/audit?limit=" + AUDIT_PAGE + "&flag=" + enc(key);
    }

    private static String alertsQuery(String key) {
        return "/api/alerts?view=history&limit=50&flagKey=" + enc(key);
    }

    private static String rollbacksQuery(String key) {
        return "/api/rollbacks?limit=50&flag=" + enc(key);
    }

    private static List<AuditRow> audit(ApiResult result, List<String> problems) {
        String unknown = AlertPagesResource.unreadable(result, "the flag-service");
        if (unknown != null) {
            problems.add("Audit log: " + unknown);
            return List.of();
        }
        List<AuditRow> entries = new ArrayList<>();
        result.body().forEach(e -> entries.add(AuditRow.of(e)));
        return entries;
    }

    private List<AlertRow> alerts(ApiResult result, String key, List<String> problems) {
        List<AlertRow> rows = new ArrayList<>();
        String unknown = AlertPagesResource.unreadable(result, "the alert-service");
        if (unknown == null) {
            result.body().forEach(a -> rows.add(AlertRow.of(a)));
        } else {
            problems.add("Alerts about this flag: " + unknown);
        }
        Set<String> seen = new java.util.HashSet<>();
        rows.forEach(a -> seen.add(a.alertId() + a.status()));
        // Alerts read from the topic that the alert-service has not (or not yet) served.
        history.alerts(key).stream()
                .filter(a -> seen.add(a.alertId() + a.status()))
                .forEach(rows::add);
        rows.sort(Comparator.comparing(AlertRow::at, Comparator.nullsLast(Comparator.reverseOrder())));
        return rows;
    }

    private List<RollbackRow> rollbacks(ApiResult result, String key, List<String> problems) {
        List<RollbackRow> rows = new ArrayList<>();
        String unknown = AlertPagesResource.unreadable(result, "the rollback-service");
        if (unknown == null) {
            result.body().forEach(r -> rows.add(RollbackRow.of(r)));
        } else {
            problems.add("The guard's actions on this flag: " + unknown);
        }
        Set<String> seen = new java.util.HashSet<>();
        rows.forEach(r -> seen.add(r.id()));
        history.rollbacks(key).stream().filter(r -> seen.add(r.id())).forEach(rows::add);
        rows.sort(Comparator.comparing(RollbackRow::at, Comparator.nullsLast(Comparator.reverseOrder())));
        return rows;
    }

    private static String formError(FlagForm form, ApiResult result) {
        if (result.status() == 400 && !result.violations().isEmpty()) {
            String unplaced = form.addViolations(result.violations());
            return unplaced.isEmpty() ? "The flag-service refused some fields." : unplaced;
        }
        if (result.code().equals("FLAG_EXISTS")) {
            form.errors().put("key", "a flag with this key exists already");
            return "The flag-service refused the flag.";
        }
        if (result.unanswered()) {
            return result.message() + ". The change may have been saved: open the flag to see before sending again.";
        }
        return result.message();
    }

    static Response html(int status, String page) {
        return Response.status(status)
                .type(MediaType.TEXT_HTML + ";charset=UTF-8")
                .entity(page)
                .build();
    }

    static Response seeOther(String path) {
        return Response.seeOther(URI.create(path)).build();
    }

    static Response forbidden(OperatorSession s) {
        return html(
                403,
                Pages.error(
                                s,
                                "Not allowed",
                                "This session may not change anything (read-only token, or the form"
                                        + " was not sent from this console's own page).")
                        .render());
    }

    /** A flag as the flag-service gives it: an object with its key. */
    static boolean isFlag(JsonNode body) {
        return body.isObject() && body.path("key").isTextual();
    }

    /**
     * The page for a flag, segment or action that could not be read. {@code what} carries a key or id from the
     * console's own URL, so it is shown on one line without control or format characters. A 400 is the service
     * refusing that key or id as malformed: the URL's bad input, answered 400. A 401 or 403 is the operator's token
     * refused by the service, answered 403 as the page says; only a failing service is a 502.
     */
    static Response failure(OperatorSession s, ApiResult result, String what) {
        String shown = ApiResult.oneLine(what);
        String message =
                switch (result.status()) {
                    case 404 -> shown + " does not exist.";
                    case 400 ->
                        shown + " does not exist: the key or id in the address is refused (" + result.message() + ").";
                    case 401, 403 -> "Your token may not see " + shown.toLowerCase(java.util.Locale.ROOT) + ".";
                    default -> shown + " could not be read: " + result.message();
                };
        int status =
                switch (result.status()) {
                    case 404, 400 -> result.status();
                    case 401, 403 -> 403;
                    default -> 502;
                };
        return html(status, Pages.error(s, shown, message).render());
    }
}
