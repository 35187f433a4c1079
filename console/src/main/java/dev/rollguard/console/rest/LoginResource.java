package dev.rollguard.console.rest;

import dev.rollguard.console.client.ActorName;
import dev.rollguard.console.client.ApiResult;
import dev.rollguard.console.client.ServiceClient;
import dev.rollguard.console.client.ServiceClient.Reads;
import dev.rollguard.console.client.ServiceClient.Reads.Pending;
import dev.rollguard.console.client.ServiceClient.Service;
import dev.rollguard.console.session.OperatorSession;
import dev.rollguard.console.session.SessionStore;
import io.quarkus.logging.Log;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.NewCookie;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import org.jboss.resteasy.reactive.RestForm;
import org.jboss.resteasy.reactive.RestQuery;

/**
 * Signing in with a token: the flag-service says whether it knows the token and what it may do; the console seals it
 * into an HTTP-only, SameSite=Strict session cookie that only a console with the same session secret can open. The
 * operator's name, given beside the token, goes into the session too: every write names them to the services.
 */
@Path("/")
@Produces(MediaType.TEXT_HTML + ";charset=UTF-8")
public class LoginResource {

    private final ServiceClient services;
    private final SessionStore sessions;

    public LoginResource(ServiceClient services, SessionStore sessions) {
        this.services = services;
        this.sessions = sessions;
    }

    /** The sign-in page after a session ended because the flag-service no longer knows its token. */
    public static final String TOKEN_REFUSED_PAGE = "/login?refused=token";

    /** What the sign-in page says of a token the flag-service does not know. */
    static final String UNKNOWN_TOKEN = "The flag-service does not know this token.";

    /** The longest token accepted: the session cookie keeps it, and must stay well under the 4 KB browsers keep. */
    static final int MAX_TOKEN_LENGTH = 512;

    @GET
    @Path("login")
    public String form(@RestQuery String refused) {
        return Pages.login("token".equals(refused) ? UNKNOWN_TOKEN : null, "").render();
    }

    @POST
    @Path("login")
    public Response signIn(@RestForm String token, @RestForm String operator) {
        String name = operator == null ? "" : operator.strip();
        String problem = ActorName.problem(name);
        if (problem != null) {
            // The name goes into the X-Rollguard-Actor header of every write, which takes one line of at most 200
            // characters as sent (a name outside plain ASCII is sent escaped: ActorName).
            return Response.status(400)
                    .entity(Pages.login(problem, "").render())
                    .build();
        }
        if (token == null || token.isBlank()) {
            return Response.status(400)
                    .entity(Pages.login("Enter a token.", name).render())
                    .build();
        }
        String secret = token.strip();
        if (secret.length() > MAX_TOKEN_LENGTH) {
            return Response.status(400)
                    .entity(Pages.login("A token has at most " + MAX_TOKEN_LENGTH + " characters.", name)
                            .render())
                    .build();
        }
        if (!secret.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            // Tokens are printable ASCII; anything else cannot go into an Authorization header.
            return Response.status(400)
                    .entity(Pages.login("A token has only letters, digits and punctuation.", name)
                            .render())
                    .build();
        }
        // Both questions go to the flag-service at once and share the page's deadline: a slow flag-service costs one
        // wait, not two. Only admin tokens may read the audit log: that is how the console learns it may offer writes.
        Reads reads = services.reads();
        Pending flagsRead = reads.get(Service.FLAG, "/api/flags", secret);
        Pending auditRead = reads.get(Service.FLAG, AdminCheck.PROBE, secret);
        ApiResult read = flagsRead.await();
        if (!read.ok()) {
            String error =
                    switch (read.status()) {
                        case 401 -> UNKNOWN_TOKEN;
                        case 403 -> "This token may not read flags (client tokens only evaluate them).";
                        default -> "The flag-service could not check the token: " + read.message();
                    };
            return Response.status(read.status() == 503 ? 503 : 401)
                    .entity(Pages.login(error, name).render())
                    .build();
        }
        ApiResult probe = auditRead.await();
        // A 403 is a read-only token. A failure that decides nothing leaves the session read-only for now, saying why
        // on every page, and a later page load asks again (AdminCheck).
        OperatorSession session;
        switch (AdminCheck.rights(probe)) {
            case ADMIN -> session = sessions.open(secret, "admin", true, name);
            case READ_ONLY -> session = sessions.open(secret, "read-only", false, name);
            case REVOKED -> {
                return Response.status(401)
                        .entity(Pages.login(UNKNOWN_TOKEN, name).render())
                        .build();
            }
            default -> {
                // One line: the flag-service's message must not make the log show lines it never wrote.
                String why = SessionStore.oneLine(AdminCheck.why(probe));
                Log.warnf("the flag-service did not confirm a token's admin rights: %s", why);
                session = sessions.openUnconfirmed(secret, name, why);
            }
        }
        Log.infof("operator signed in with a %s token", session.tokenKind());
        return Response.seeOther(URI.create("/flags"))
                .cookie(sessions.cookie(session.id(), NewCookie.DEFAULT_MAX_AGE))
                .build();
    }

    @POST
    @Path("logout")
    public Response signOut() {
        // The session lives in the cookie: clearing it signs out (a copy taken before idles out; docs/runbook.md).
        return Response.seeOther(URI.create("/login"))
                .cookie(sessions.cookie("", 0))
                .build();
    }
}
