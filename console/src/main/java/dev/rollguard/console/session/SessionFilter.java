package dev.rollguard.console.session;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Cookie;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Every page but sign-in needs a session; without one, pages redirect to the sign-in page and live streams answer
 * 401. Writes also need the request to come from this console's own pages (Origin check, on top of the SameSite
 * cookie and the per-session CSRF token that each form carries).
 */
public class SessionFilter {

    private final SessionStore sessions;
    private final CurrentSession current;

    public SessionFilter(SessionStore sessions, CurrentSession current) {
        this.sessions = sessions;
        this.current = current;
    }

    @ServerRequestFilter
    public Response authenticate(ContainerRequestContext request) {
        String path = request.getUriInfo().getPath();
        if (!"GET".equals(request.getMethod()) && !"HEAD".equals(request.getMethod()) && !sameOrigin(request)) {
            return Response.status(403).entity("cross-origin request refused").build();
        }
        if (path.equals("/login")) {
            return null;
        }
        Cookie cookie = request.getCookies().get(SessionStore.COOKIE);
        var session = sessions.find(cookie == null ? null : cookie.getValue());
        if (session.isPresent()) {
            current.set(session.get());
            return null;
        }
        if (path.startsWith("/live/") || path.endsWith(".json")) {
            return Response.status(401).build();
        }
        return Response.seeOther(URI.create("/login")).build();
    }

    private static boolean sameOrigin(ContainerRequestContext request) {
        String origin = request.getHeaderString("Origin");
        if (origin == null || origin.equals("null")) {
            // Browsers send Origin on every cross-site POST; its absence means a same-origin or non-browser client.
            return origin == null;
        }
        String host = request.getHeaderString("Host");
        URI uri = URI.create(origin);
        String originHost = uri.getPort() == -1 ? uri.getHost() : uri.getHost() + ":" + uri.getPort();
        return originHost.equalsIgnoreCase(host);
    }
}
