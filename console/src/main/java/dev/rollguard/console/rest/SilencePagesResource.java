package dev.rollguard.console.rest;

import static dev.rollguard.console.client.ServiceClient.enc;
import static dev.rollguard.console.rest.FlagPagesResource.forbidden;
import static dev.rollguard.console.rest.FlagPagesResource.html;
import static dev.rollguard.console.rest.FlagPagesResource.seeOther;

import dev.rollguard.console.client.ActorName;
import dev.rollguard.console.client.ApiResult;
import dev.rollguard.console.client.ServiceClient;
import dev.rollguard.console.client.ServiceClient.Service;
import dev.rollguard.console.session.CurrentSession;
import dev.rollguard.console.session.OperatorSession;
import dev.rollguard.console.session.SessionStore;
import dev.rollguard.console.view.SilenceRow;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jboss.resteasy.reactive.RestForm;

/**
 * Silences of notifications (alert-service {@code /api/silences}): the current and the ended ones with their matchers,
 * author, comment and end, a form to make one and a button to end one now, both with the operator's token. A silence
 * quiets notifications only; the page says so, since the guard still acts on silenced alerts.
 */
@Path("/")
@Produces(MediaType.TEXT_HTML + ";charset=UTF-8")
public class SilencePagesResource {

    static final String SILENCES_API = "/api/silences";
    /** Who ends a silence, for its record (the alert-service keeps it as {@code expiredBy}). */
    static final String ACTOR_HEADER = ServiceClient.ACTOR_HEADER;

    private final ServiceClient services;
    private final CurrentSession current;

    public SilencePagesResource(ServiceClient services, CurrentSession current) {
        this.services = services;
        this.current = current;
    }

    @GET
    @Path("silences")
    public Response list(@QueryParam("notice") String notice) {
        OperatorSession s = current.get();
        return page(s, SilenceForm.empty(), notice, null, 200);
    }

    @POST
    @Path("silences")
    public Response create(
            @RestForm String matchers,
            @RestForm String duration,
            @RestForm String createdBy,
            @RestForm String comment,
            @RestForm("_csrf") String csrf) {
        OperatorSession s = current.get();
        if (!s.canWrite() || !SessionStore.csrfMatches(s, csrf)) {
            return forbidden(s);
        }
        SilenceForm form = new SilenceForm(matchers, duration, createdBy, comment);
        Map<String, String> problems = form.problems();
        if (!problems.isEmpty()) {
            return page(s, form, null, String.join(" ", problems.values()), 400);
        }
        ApiResult result = services.write(Service.ALERT, "POST", SILENCES_API, s, form.body(Instant.now()), Map.of());
        if (result.ok()) {
            return seeOther("/silences?notice=created");
        }
        return page(s, form, null, refusal(result), result.status() >= 500 ? 502 : result.status());
    }

    @POST
    @Path("silences/{id}/expire")
    public Response expire(@PathParam("id") String id, @RestForm String expiredBy, @RestForm("_csrf") String csrf) {
        OperatorSession s = current.get();
        if (!s.canWrite() || !SessionStore.csrfMatches(s, csrf)) {
            return forbidden(s);
        }
        String actor = expiredBy == null ? "" : expiredBy.strip();
        String problem = ActorName.problem(actor);
        if (problem != null) {
            // A header cannot carry it; the alert-service would refuse it anyway.
            return page(s, SilenceForm.empty(), null, problem, 400);
        }
        ApiResult result = services.write(
                Service.ALERT,
                "DELETE",
                SILENCES_API + "/" + enc(id),
                s,
                null,
                actor.isEmpty() ? Map.of() : Map.of(ACTOR_HEADER, actor));
        if (result.ok()) {
            return seeOther("/silences?notice=expired");
        }
        return page(
                s,
                SilenceForm.empty(),
                null,
                "Silence " + id + " was not ended: " + refusal(result),
                result.status() >= 500 ? 502 : result.status());
    }

    /** The alert-service's refusal, each invalid field named, with its code for the runbook. */
    static String refusal(ApiResult result) {
        StringBuilder refusal = new StringBuilder(result.message());
        result.violations().forEach((field, why) -> refusal.append(' ')
                .append(field)
                .append(": ")
                .append(why)
                .append('.'));
        return result.body().hasNonNull("code") ? refusal + " (" + result.code() + ")" : refusal.toString();
    }

    private Response page(OperatorSession s, SilenceForm form, String notice, String error, int status) {
        ApiResult result = services.get(Service.ALERT, SILENCES_API + "?limit=200", s.token());
        List<SilenceRow> currentRows = new ArrayList<>();
        List<SilenceRow> ended = new ArrayList<>();
        // Silences the alert-service does not give (an error, an answer that is not a list) are said unknown, never
        // "nothing is silenced".
        String unknown = AlertPagesResource.unreadable(result, "the alert-service");
        if (unknown == null) {
            result.body().forEach(n -> {
                SilenceRow row = SilenceRow.of(n);
                (row.current() ? currentRows : ended).add(row);
            });
        }
        String readError = unknown == null ? null : "Silences: " + unknown;
        return html(
                status,
                Pages.silences(s, currentRows, ended, form, notice(notice), error, readError)
                        .render());
    }

    private static String notice(String notice) {
        if (notice == null) {
            return null;
        }
        return switch (notice) {
            case "created" ->
                "Silence made: matching notifications are held back from the next flush (about a second).";
            case "expired" -> "Silence ended: what it held back is notified at the next flush.";
            default -> null;
        };
    }
}
