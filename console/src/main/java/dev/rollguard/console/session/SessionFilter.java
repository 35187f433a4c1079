package dev.rollguard.console.session;

import dev.rollguard.console.rest.AdminCheck;
import dev.rollguard.console.rest.ErrorPages;
import dev.rollguard.console.rest.LoginResource;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.core.Cookie;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.NewCookie;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Optional;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;
import org.jboss.resteasy.reactive.server.ServerResponseFilter;

/**
 * Every page but sign-in needs a session; without one, pages redirect to the sign-in page, the parts of a page that
 * htmx reloads answer 401 with {@code HX-Redirect: /login}, and live streams answer 401 JSON. Writes also need the request to come from this console's own pages (Origin check, on top of the SameSite
 * cookie and the per-session CSRF token that each form carries); a foreign or malformed Origin is a 403 JSON error.
 * A session whose admin rights could not be confirmed at sign-in is asked about again, in the background, from a page
 * load after its back-off ({@link AdminCheck}); a later page load reseals it with the answer, or ends it and sends the
 * operator to sign in when the flag-service no longer knows the token.
 */
public class SessionFilter {

    private static final String RESEALED = "rollguard.session.resealed";

    private final SessionStore sessions;
    private final CurrentSession current;
    private final AdminCheck adminCheck;

    public SessionFilter(SessionStore sessions, CurrentSession current, AdminCheck adminCheck) {
        this.sessions = sessions;
        this.current = current;
        this.adminCheck = adminCheck;
    }

    /**
     * Sends the browser the resealed session cookie of this request, if {@link #authenticate} resealed it, unless the
     * answer sets the session cookie itself (signing out clears it: the browser keeps the last cookie it is sent).
     */
    @ServerResponseFilter
    public void resealCookie(ContainerRequestContext request, ContainerResponseContext response) {
        if (request.getProperty(RESEALED) instanceof String sealed
                && !response.getCookies().containsKey(SessionStore.COOKIE)
                && !setsSessionCookie(response)) {
            response.getHeaders().add(HttpHeaders.SET_COOKIE, sessions.cookie(sealed, NewCookie.DEFAULT_MAX_AGE));
        }
    }

    @ServerRequestFilter
    public Response authenticate(ContainerRequestContext request) {
        String path = request.getUriInfo().getPath();
        if (!"GET".equals(request.getMethod()) && !"HEAD".equals(request.getMethod()) && !sameOrigin(request)) {
            return ErrorPages.json(
                    403, "FORBIDDEN", "cross-origin request refused: send forms from this console's pages");
        }
        if (path.equals("/login")) {
            return null;
        }
        Cookie cookie = request.getCookies().get(SessionStore.COOKIE);
        var session = sessions.find(cookie == null ? null : cookie.getValue());
        if (session.isPresent()) {
            OperatorSession s = session.get();
            if (s.unconfirmed() && pageLoad(request, path)) {
                // A whole page (not a section htmx reloads, not a live stream, not a form): it starts the admin check
                // when one is due and takes the answer of one that came; it never waits for the flag-service.
                Optional<OperatorSession> checked = adminCheck.recheck(s);
                if (checked.isEmpty()) {
                    // The flag-service no longer knows the token: the session ends.
                    return Response.seeOther(URI.create(LoginResource.TOKEN_REFUSED_PAGE))
                            .cookie(sessions.cookie("", 0))
                            .build();
                }
                s = checked.get();
            }
            current.set(s);
            if (!s.id().equals(cookie.getValue()) && !path.equals("/logout")) {
                // Resealed with a newer last use or the admin check's answer: the response carries the new cookie
                // (resealCookie). Signing out clears it instead.
                request.setProperty(RESEALED, s.id());
            }
            return null;
        }
        if (ErrorPages.wantsJson(path)) {
            return ErrorPages.json(401, "UNAUTHENTICATED", "sign in to the console first");
        }
        if ("true".equals(request.getHeaderString("HX-Request"))) {
            // A part of a page reloading itself (htmx): a redirect would put the sign-in page inside it; htmx swaps
            // nothing on a 401 and sends the whole page to sign-in.
            return Response.status(401).header("HX-Redirect", "/login").build();
        }
        return Response.seeOther(URI.create("/login")).build();
    }

    private static boolean setsSessionCookie(ContainerResponseContext response) {
        List<Object> cookies = response.getHeaders().get(HttpHeaders.SET_COOKIE);
        return cookies != null
                && cookies.stream()
                        .anyMatch(c -> c instanceof NewCookie n
                                ? n.getName().equals(SessionStore.COOKIE)
                                : String.valueOf(c).startsWith(SessionStore.COOKIE + "="));
    }

    private static boolean pageLoad(ContainerRequestContext request, String path) {
        return "GET".equals(request.getMethod())
                && !"true".equals(request.getHeaderString("HX-Request"))
                && !ErrorPages.wantsJson(path);
    }

    private static boolean sameOrigin(ContainerRequestContext request) {
        String origin = request.getHeaderString("Origin");
        if (origin == null || origin.equals("null")) {
            // Browsers send Origin on every cross-site POST; its absence means a same-origin or non-browser client.
            return origin == null;
        }
        String host = request.getHeaderString("Host");
        URI uri;
        try {
            uri = new URI(origin);
        } catch (URISyntaxException malformed) {
            return false;
        }
        if (uri.getHost() == null || host == null) {
            return false;
        }
        String originHost = uri.getPort() == -1 ? uri.getHost() : uri.getHost() + ":" + uri.getPort();
        return originHost.equalsIgnoreCase(host);
    }
}
