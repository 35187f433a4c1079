package dev.rollguard.console.rest;

import dev.rollguard.console.client.ApiResult;
import dev.rollguard.console.client.ServiceClient;
import dev.rollguard.console.client.ServiceClient.Service;
import dev.rollguard.console.session.OperatorSession;
import dev.rollguard.console.session.SessionStore;
import io.quarkus.logging.Log;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Whether a token may change things: only admin tokens may read the flag-service's audit log, so its answer to
 * {@value #PROBE} says so. A 2xx is admin, a 403 is read-only; any other answer (none within the page deadline, a
 * 5xx, a dropped connection) decides nothing: the session stays read-only, says why on every page, and a page load
 * after {@code console.session.admin-recheck} asks again.
 */
@ApplicationScoped
public class AdminCheck {

    /** What the flag-service lets only admin tokens read. */
    public static final String PROBE = "/api/audit?limit=1";

    /** What an answer to {@link #PROBE} says about the token. */
    public enum Rights {
        ADMIN,
        READ_ONLY,
        UNDECIDED
    }

    private final ServiceClient services;
    private final SessionStore sessions;

    public AdminCheck(ServiceClient services, SessionStore sessions) {
        this.services = services;
        this.sessions = sessions;
    }

    public static Rights rights(ApiResult probe) {
        if (probe.ok()) {
            return Rights.ADMIN;
        }
        return probe.status() == 403 ? Rights.READ_ONLY : Rights.UNDECIDED;
    }

    /** Why an answer decided nothing, in words for the page: no answer in time, no connection, or the status. */
    public static String why(ApiResult probe) {
        String text = probe.text() == null ? "" : probe.text();
        if (probe.body().isMissingNode()
                && (text.startsWith("flag-service is unavailable: ")
                        || text.startsWith("the console could not send"))) {
            // The console's own account: the flag-service did not answer in time, or could not be reached.
            return text;
        }
        String said = probe.body().hasNonNull("message") ? ": " + probe.message() + " (" + probe.code() + ")" : "";
        return "the flag-service answered HTTP " + probe.status() + said;
    }

    /**
     * The session, asked again if its admin rights wait to be confirmed and its back-off has passed: upgraded to admin
     * when the flag-service now confirms them, read-only without a notice on a 403, else read-only with the new reason
     * until the next back-off. Blocking, at most the page deadline.
     */
    public OperatorSession recheck(OperatorSession session) {
        if (!sessions.recheckDue(session)) {
            return session;
        }
        ApiResult probe =
                services.reads().get(Service.FLAG, PROBE, session.token()).await();
        return switch (rights(probe)) {
            case ADMIN -> {
                Log.info("an operator's admin rights were confirmed after sign-in");
                yield sessions.confirmed(session, true);
            }
            case READ_ONLY -> sessions.confirmed(session, false);
            case UNDECIDED -> sessions.stillUnconfirmed(session, why(probe));
        };
    }
}
