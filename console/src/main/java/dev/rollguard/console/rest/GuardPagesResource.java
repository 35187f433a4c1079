package dev.rollguard.console.rest;

import dev.rollguard.console.client.ApiResult;
import dev.rollguard.console.client.ServiceClient;
import dev.rollguard.console.client.ServiceClient.Service;
import dev.rollguard.console.session.CurrentSession;
import dev.rollguard.console.session.OperatorSession;
import dev.rollguard.console.view.GuardAnswer;
import dev.rollguard.console.view.GuardVerdict;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/**
 * The guard's judgment as the alert-service answers it: every guarded flag worst first, and one flag's verdict as the
 * section its page refreshes in place.
 */
@Path("/")
@Produces(MediaType.TEXT_HTML + ";charset=UTF-8")
public class GuardPagesResource {

    /** The alert-service's verdicts on every flag under partial rollout (docs/contracts.md). */
    static final String GUARD_API = "/api/guard";

    private final ServiceClient services;
    private final CurrentSession current;

    public GuardPagesResource(ServiceClient services, CurrentSession current) {
        this.services = services;
        this.current = current;
    }

    @GET
    @Path("guard")
    public Response overview() {
        OperatorSession s = current.get();
        GuardAnswer answer = read(services, s);
        return FlagPagesResource.html(
                answer.failed() ? 502 : 200,
                Pages.guard(s, answer.verdicts(), answer.tally(), answer.error())
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
        GuardAnswer answer = read(services, s);
        GuardVerdict verdict = answer.forFlag(key).orElse(null);
        String stale = null;
        if (verdict != null) {
            ApiResult flag = services.get(Service.FLAG, "/api/flags/" + ServiceClient.enc(key), s.token());
            stale = verdict.staleness(flag.ok() ? flag.body() : null);
        }
        return FlagPagesResource.html(
                200, Pages.guardSection(key, verdict, stale, answer.error()).render());
    }

    static GuardAnswer read(ServiceClient services, OperatorSession s) {
        return GuardAnswer.of(services.get(Service.ALERT, GUARD_API, s.token()));
    }
}
