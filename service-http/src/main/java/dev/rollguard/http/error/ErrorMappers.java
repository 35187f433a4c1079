package dev.rollguard.http.error;

import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Set;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * The error contract of docs/contracts.md for every service: an {@link ApiException}, a failure of the HTTP layer
 * (unknown path, wrong method, body over the limit) and anything unexpected become a JSON {@link ErrorBody}; never a
 * stack trace or a class name. What a service answers beyond that (its Bean Validation and JSON wording, its database
 * being down) it declares itself: its own mappers for those exception types, and {@link KnownFailures} beans.
 */
public class ErrorMappers {

    private static final Logger LOG = Logger.getLogger(ErrorMappers.class);

    private final Iterable<KnownFailures> known;

    @Inject
    public ErrorMappers(Instance<KnownFailures> known) {
        this((Iterable<KnownFailures>) known);
    }

    ErrorMappers(Iterable<KnownFailures> known) {
        this.known = known;
    }

    @ServerExceptionMapper
    public Response api(ApiException e) {
        return json(e.status(), e.body());
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e, ContainerRequestContext request) {
        if (tooLarge(e)) {
            return json(413, TOO_LARGE);
        }
        ApiException recognised = recognise(e);
        if (recognised != null) {
            return api(recognised);
        }
        String where = request.getMethod() + " " + request.getUriInfo().getPath();
        if (unreadableParameter(e)) {
            return json(
                    400,
                    new ErrorBody(
                            "INVALID_PARAMETER",
                            "a path or query parameter of " + where
                                    + " is not of its type (a whole number where one is expected, for instance)"));
        }
        int status = e.getResponse().getStatus();
        if (status == 405) {
            return notAllowed(
                    forStatus(status, where),
                    e.getResponse(),
                    request.getUriInfo().getPath());
        }
        return json(status, forStatus(status, where));
    }

    /**
     * A 405 with the {@code Allow} header RFC 9110 §15.5.6 requires: the methods the refusal names, else those the
     * resources serve {@code path} with (the HTTP layer's refusal names none).
     */
    static Response notAllowed(ErrorBody body, Response refusal, String path) {
        Set<String> allowed = refusal == null ? null : refusal.getAllowedMethods();
        if (allowed == null || allowed.isEmpty()) {
            allowed = AllowedMethods.of(path);
        }
        Response.ResponseBuilder response =
                Response.status(405).type(MediaType.APPLICATION_JSON_TYPE).entity(body);
        return allowed.isEmpty() ? response.build() : response.allow(allowed).build();
    }

    /**
     * Whether the HTTP layer's 404 is a path or query parameter it could not convert ({@code ?limit=ten}): JAX-RS
     * answers those 404 with the converter's failure as the cause, where an unknown path has none. Such a request was
     * routed, so "nothing is served here" would send its author looking for the wrong mistake.
     */
    static boolean unreadableParameter(WebApplicationException e) {
        return e instanceof NotFoundException
                && e.getCause() != null
                && !(e.getCause() instanceof WebApplicationException);
    }

    @ServerExceptionMapper
    public Response unexpected(Throwable e) {
        if (tooLarge(e)) {
            return json(413, TOO_LARGE);
        }
        ApiException recognised = recognise(e);
        if (recognised != null) {
            return api(recognised);
        }
        return internal(e);
    }

    private static final ErrorBody TOO_LARGE =
            new ErrorBody("PAYLOAD_TOO_LARGE", "the request body is larger than allowed");

    /** The error for a status the HTTP layer answered on its own, for the request {@code where} ("GET /api/x"). */
    static ErrorBody forStatus(int status, String where) {
        return switch (status) {
            case 400 -> new ErrorBody("BAD_REQUEST", "the request to " + where + " is not valid");
            case 401 -> new ErrorBody("UNAUTHENTICATED", "send a valid token");
            case 403 -> new ErrorBody("FORBIDDEN", "this token may not call " + where);
            case 404 -> new ErrorBody("NOT_FOUND", "nothing is served at " + where);
            case 405 -> new ErrorBody("METHOD_NOT_ALLOWED", where + ": this method is not allowed here");
            case 406 -> new ErrorBody("NOT_ACCEPTABLE", where + " answers application/json only");
            case 413 -> TOO_LARGE;
            case 415 -> new ErrorBody("UNSUPPORTED_MEDIA_TYPE", where + " needs a JSON body (application/json)");
            default ->
                status >= 500
                        ? new ErrorBody("INTERNAL", "the request failed inside the service")
                        : new ErrorBody("REQUEST_FAILED", "the request to " + where + " failed");
        };
    }

    /** 500 {@code INTERNAL} for a defect, logged with its stack trace; the client learns nothing of the inside. */
    public static Response internal(Throwable e) {
        LOG.error("request failed", e);
        return json(500, new ErrorBody("INTERNAL", "the request failed inside the service"));
    }

    public static Response json(int status, ErrorBody body) {
        Response.ResponseBuilder response =
                Response.status(status).type(MediaType.APPLICATION_JSON_TYPE).entity(body);
        if (status == 503) {
            // Something the service needs (its database, the broker) is away: a hint clients' backoff takes as a floor.
            response.header("Retry-After", UNAVAILABLE_RETRY_AFTER_SECONDS);
        }
        return response.build();
    }

    /** The Retry-After of every 503: long enough not to hammer a service waiting for its database or broker. */
    static final String UNAVAILABLE_RETRY_AFTER_SECONDS = "5";

    private ApiException recognise(Throwable e) {
        for (KnownFailures failures : known) {
            ApiException recognised = failures.recognise(e);
            if (recognised != null) {
                return recognised;
            }
        }
        return null;
    }

    /**
     * Whether the failure is, or was caused by, a body over the service's limit: a 413 thrown while the body was read,
     * which the JSON reader may have wrapped.
     */
    static boolean tooLarge(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof WebApplicationException web
                    && web.getResponse() != null
                    && web.getResponse().getStatus() == 413) {
                return true;
            }
        }
        return false;
    }
}
