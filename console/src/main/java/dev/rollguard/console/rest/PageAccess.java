package dev.rollguard.console.rest;

import static dev.rollguard.console.client.ServiceClient.enc;
import static dev.rollguard.console.rest.FlagPagesResource.failure;
import static dev.rollguard.console.rest.FlagPagesResource.forbidden;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.console.client.ApiResult;
import dev.rollguard.console.client.ServiceClient;
import dev.rollguard.console.client.ServiceClient.Service;
import dev.rollguard.console.session.CurrentSession;
import dev.rollguard.console.session.OperatorSession;
import dev.rollguard.console.session.SessionStore;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.core.Response;

/**
 * What every page on a flag or a segment checks first, written once: the session may write (a preview excepted) and,
 * for a submitted form, the form carries this session's CSRF token (else 403); then the flag or segment is read from
 * the flag-service with the operator's token (else its answer as an error page: 404, or 502 for a failing service).
 */
@ApplicationScoped
public class PageAccess {

    /** The session and the flag or segment read for it; or the page that refuses, to answer with as it is. */
    public record Granted(OperatorSession session, JsonNode body, Response refusal) {

        public boolean refused() {
            return refusal != null;
        }
    }

    private final ServiceClient services;
    private final CurrentSession current;

    public PageAccess(ServiceClient services, CurrentSession current) {
        this.services = services;
        this.current = current;
    }

    /** A page that shows a change before it is made: the flag, for a session that may write. */
    public Granted flagToChange(String key) {
        return read(writer(null, false), "/api/flags/" + enc(key), "Flag " + key);
    }

    /** A submitted form that changes the flag: a session that may write, the form from this console's page. */
    public Granted flagToChange(String key, String csrf) {
        return read(writer(csrf, true), "/api/flags/" + enc(key), "Flag " + key);
    }

    /** A page that shows a change to a segment before it is made: the segment, for a session that may write. */
    public Granted segmentToChange(String key) {
        return read(writer(null, false), SegmentPagesResource.SEGMENTS_API + "/" + enc(key), "Segment " + key);
    }

    /** A preview's form: any session (read-only ones may preview), the form from this console's page. */
    public Granted flagToPreview(String key, String csrf) {
        OperatorSession s = current.get();
        Granted reader =
                SessionStore.csrfMatches(s, csrf) ? new Granted(s, null, null) : new Granted(s, null, forbidden(s));
        return read(reader, "/api/flags/" + enc(key), "Flag " + key);
    }

    private Granted writer(String csrf, boolean form) {
        OperatorSession s = current.get();
        if (!s.canWrite() || (form && !SessionStore.csrfMatches(s, csrf))) {
            return new Granted(s, null, forbidden(s));
        }
        return new Granted(s, null, null);
    }

    private Granted read(Granted writer, String path, String what) {
        if (writer.refused()) {
            return writer;
        }
        OperatorSession s = writer.session();
        ApiResult result = ServiceClient.shaped(
                Service.FLAG, services.get(Service.FLAG, path, s.token()), "an object", JsonNode::isObject);
        if (!result.ok()) {
            return new Granted(s, null, failure(s, result, what));
        }
        return new Granted(s, result.body(), null);
    }
}
