package dev.rollguard.console.rest;

import dev.rollguard.console.client.ApiResult;
import dev.rollguard.console.client.ServiceClient;
import dev.rollguard.console.client.ServiceClient.Reads;
import dev.rollguard.console.client.ServiceClient.Reads.Pending;
import dev.rollguard.console.client.ServiceClient.Service;
import dev.rollguard.console.session.CurrentSession;
import dev.rollguard.console.session.OperatorSession;
import dev.rollguard.console.view.GuardAnswer;
import dev.rollguard.console.view.GuardRow;
import dev.rollguard.console.view.GuardVerdict;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;

/**
 * The guard's judgment as the alert-service answers it: every guarded flag worst first, and one flag's verdict as the
 * section its page refreshes in place.
 */
@Path("/")
@Produces(MediaType.TEXT_HTML + ";charset=UTF-8")
public class GuardPagesResource {

    /** The alert-service's verdicts on every flag under partial rollout (docs/contracts.md). */
    static final String GUARD_API = "/api/guard";

    /** Every flag, archived ones too: the overview says which verdicts are on a flag as it is now. */
    static final String FLAGS_WITH_ARCHIVED = "/api/flags?includeArchived=true";

    private final ServiceClient services;
    private final CurrentSession current;

    public GuardPagesResource(ServiceClient services, CurrentSession current) {
        this.services = services;
        this.current = current;
    }

    /**
     * Every verdict, those on flags as they are now first (worst first), then the greyed ones of an earlier stage or
     * of a flag killed, aborted, archived or not under rollout, read as the flag's page reads them.
     */
    @GET
    @Path("guard")
    public Response overview() {
        OperatorSession s = current.get();
        Reads reads = services.reads();
        Pending guard = reads.get(Service.ALERT, GUARD_API, s.token());
        Pending flags = reads.get(Service.FLAG, FLAGS_WITH_ARCHIVED, s.token());
        GuardAnswer answer = GuardAnswer.of(guard.await());
        ApiResult flagList = flags.await();
        List<GuardRow> rows = GuardRow.of(answer.verdicts(), flagList);
        String flagsError = flagList.ok() && flagList.body().isArray() || rows.isEmpty()
                ? null
                : "The flags could not be read (" + flagList.message()
                        + "): whether each verdict is on its flag's current stage is not known.";
        return FlagPagesResource.html(
                answer.failed() ? 502 : 200,
                Pages.guard(s, rows, GuardRow.tally(rows), answer.error() != null ? answer.error() : flagsError)
                        .render());
    }

    /**
     * One flag's verdict section alone, for its page to swap in when a window arrives or on its refresh interval. A
     * failing alert-service is part of the section (200), so the page says so instead of keeping a stale verdict.
     */
    @GET
    @Path("flags/{key}/guard")
    public Response section(@PathParam("key") String key) {
        OperatorSession s = current.get();
        Reads reads = services.reads();
        Pending guard = reads.get(Service.ALERT, GUARD_API, s.token());
        Pending flagRead = reads.get(Service.FLAG, "/api/flags/" + ServiceClient.enc(key), s.token());
        GuardAnswer answer = GuardAnswer.of(guard.await());
        GuardVerdict verdict = answer.forFlag(key).orElse(null);
        String stale = null;
        if (verdict != null) {
            ApiResult flag = flagRead.await();
            stale = verdict.staleness(flag.ok() ? flag.body() : null);
        }
        return FlagPagesResource.html(
                200, Pages.guardSection(key, verdict, stale, answer.error()).render());
    }
}
