package dev.rollguard.flag.rest;

import static dev.rollguard.flag.domain.TokenKind.ADMIN;
import static dev.rollguard.flag.domain.TokenKind.CLIENT;
import static dev.rollguard.flag.domain.TokenKind.SERVICE;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rollguard.flag.config.FlagServiceConfig;
import dev.rollguard.flag.domain.Caller;
import dev.rollguard.flag.service.EvaluatedKeyRecorder;
import dev.rollguard.flag.service.EvaluationService;
import dev.rollguard.flag.service.FlagSnapshot;
import dev.rollguard.flag.service.StreamTokens;
import dev.rollguard.http.conditional.ETags;
import io.smallrye.common.annotation.NonBlocking;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * The OpenFeature Remote Evaluation Protocol (OFREP v1): single and bulk evaluation, and the provider
 * configuration. Served from the in-memory snapshot on the event loop.
 */
@Path("/ofrep/v1")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "OFREP", description = "OpenFeature Remote Evaluation Protocol")
public class OfrepResource {

    public static final String EVENTS_PATH = "/ofrep/v1/events";

    /** The single evaluation's path, up to the flag key. */
    static final String EVALUATE_FLAG_PATH = "/ofrep/v1/evaluate/flags/";

    private final EvaluationService evaluation;
    private final StreamTokens streamTokens;
    private final ObjectMapper json;
    private final FlagServiceConfig config;
    private final EvaluatedKeyRecorder evaluatedKeys;

    public OfrepResource(
            EvaluationService evaluation,
            StreamTokens streamTokens,
            ObjectMapper json,
            FlagServiceConfig config,
            EvaluatedKeyRecorder evaluatedKeys) {
        this.evaluation = evaluation;
        this.streamTokens = streamTokens;
        this.json = json;
        this.config = config;
        this.evaluatedKeys = evaluatedKeys;
    }

    /** OFREP bulkEvaluationSuccess, with the SSE stream that announces changes. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record BulkResponse(
            List<EvaluationService.Result> flags, List<EventStream> eventStreams, Map<String, Object> metadata) {}

    /**
     * An OFREP event stream connection (ADR 0008). The URL carries a stream token for the caller (a browser's
     * EventSource cannot send a header); ADR 0008 has providers treat it as opaque and never log it.
     */
    public record EventStream(String type, String url, int inactivityDelaySec) {}

    /**
     * OFREP evaluationFailure, flagNotFound and bulkEvaluationFailure ({@code key} only for one flag), with the
     * {@code code} and {@code message} of every Rollguard error beside OFREP's {@code errorCode} and
     * {@code errorDetails}.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ErrorResponse(String key, String errorCode, String errorDetails, String code, String message) {
        static ErrorResponse of(String key, String errorCode, String errorDetails) {
            return new ErrorResponse(key, errorCode, errorDetails, errorCode, errorDetails);
        }
    }

    @POST
    @Path("evaluate/flags/{key}")
    @Consumes(MediaType.WILDCARD)
    @NonBlocking
    @Access(
            value = {CLIENT, ADMIN, SERVICE},
            rateLimited = true)
    @Operation(
            summary = "Evaluate one flag",
            description = "200 evaluationSuccess; 404 FLAG_NOT_FOUND; 400 PARSE_ERROR, INVALID_CONTEXT,"
                    + " TARGETING_KEY_MISSING or GENERAL; 401, 403, 429 with Retry-After.")
    public Response evaluate(@PathParam("key") String key, byte[] body) {
        OfrepContext context;
        try {
            context = OfrepContext.parse(json, body);
        } catch (OfrepContext.Invalid e) {
            return Response.status(400)
                    .entity(ErrorResponse.of(key, e.errorCode, e.getMessage()))
                    .build();
        }
        evaluatedKeys.record(evaluation.state(), key, context.targetingKey());
        EvaluationService.Result result = evaluation.evaluate(evaluation.state(), key, context.evaluationContext());
        if (result instanceof EvaluationService.Failure failure) {
            int status = EvaluationService.FLAG_NOT_FOUND.equals(failure.errorCode()) ? 404 : 400;
            return Response.status(status)
                    .entity(ErrorResponse.of(failure.key(), failure.errorCode(), failure.errorDetails()))
                    .build();
        }
        return Response.ok(result).build();
    }

    @POST
    @Path("evaluate/flags")
    @Consumes(MediaType.WILDCARD)
    @NonBlocking
    @Access(
            value = {CLIENT, ADMIN, SERVICE},
            rateLimited = true)
    @Operation(
            summary = "Evaluate every flag",
            description = "200 with an ETag (this release's evaluation semantics, flag versions, context and"
                    + " stream-token period); 304 when If-None-Match"
                    + " matches it; 400 on PARSE_ERROR or INVALID_CONTEXT. Per-flag errors are items of the flags"
                    + " array. eventStreams holds the change stream URL with a stream token for this caller."
                    + " flagConfigEtag / flagConfigLastModified (the re-fetch a change notification triggers): waits up"
                    + " to flag-service.sse.refetch-wait for this instance to hold that change, and answers 200 (never"
                    + " 304) if it still does not.")
    public Uni<Response> evaluateAll(
            byte[] body,
            @HeaderParam(HttpHeaders.IF_NONE_MATCH) String ifNoneMatch,
            @QueryParam("flagConfigEtag") String flagConfigEtag,
            @QueryParam("flagConfigLastModified") String flagConfigLastModified,
            @Context UriInfo uri,
            RoutingContext routing) {
        OfrepContext context;
        try {
            context = OfrepContext.parse(json, body);
        } catch (OfrepContext.Invalid e) {
            return Uni.createFrom()
                    .item(Response.status(400)
                            .entity(ErrorResponse.of(null, e.errorCode, e.getMessage()))
                            .build());
        }
        FlagSnapshot.State state = evaluation.state();
        // A 304 too: the client keeps using the values it got for this targeting key.
        evaluatedKeys.recordAll(state, context.targetingKey());
        Caller caller = routing.get(AuthFilter.CALLER);
        URI base = base(uri);
        RefetchHint hint = RefetchHint.of(flagConfigEtag, flagConfigLastModified);
        if (hint.heldBy(state)) {
            return Uni.createFrom().item(answer(state, true, context, ifNoneMatch, caller, base));
        }
        // A change notification's re-fetch reached an instance that has not applied that change yet: wait for it
        // (bounded), then answer; without it, what this instance holds, as a 200, never a 304 of the old values.
        io.vertx.core.Context requestContext = Vertx.currentContext();
        return evaluation
                .awaitState(hint::heldBy, config.sse().refetchWait())
                .emitOn(
                        requestContext == null
                                ? Infrastructure.getDefaultExecutor()
                                : command -> requestContext.runOnContext(ignored -> command.run()))
                .map(now -> answer(now, hint.heldBy(now), context, ifNoneMatch, caller, base));
    }

    private Response answer(
            FlagSnapshot.State state,
            boolean mayBeNotModified,
            OfrepContext context,
            String ifNoneMatch,
            Caller caller,
            URI base) {
        // Everything the answer depends on: how this release evaluates (a constant, folded in by the compiler), the
        // flag versions, the context, and the stream URL, which changes every half TTL (its token does) so that a
        // client whose URL is about to expire gets a new one, and with the caller's secret.
        String etag = "\"" + EvaluationService.SEMANTICS_REVISION + "-" + state.revision() + "-" + context.hash(json)
                + "-" + streamTokens.period(caller) + "\"";
        if (mayBeNotModified && ETags.notModified(ifNoneMatch, etag)) {
            return Response.notModified().header(HttpHeaders.ETAG, etag).build();
        }
        String events = base.resolve(EVENTS_PATH.substring(1)).toString() + "?" + AuthFilter.STREAM_TOKEN_PARAMETER
                + "=" + streamTokens.issue(caller);
        BulkResponse response = new BulkResponse(
                evaluation.evaluateAll(state, context.evaluationContext()),
                List.of(new EventStream("sse", events, config.sse().inactivityDelaySeconds())),
                Map.of("revision", state.revision()));
        return Response.ok(response).header(HttpHeaders.ETAG, etag).build();
    }

    /** Where browsers reach this service: the configured public URL, or the request's (proxy headers honoured). */
    private URI base(UriInfo uri) {
        return config.publicUrl()
                .map(url -> url.getPath().endsWith("/") ? url : URI.create(url + "/"))
                .orElseGet(uri::getBaseUri);
    }

    @GET
    @Path("configuration")
    @NonBlocking
    @Access({CLIENT, ADMIN, SERVICE})
    @Operation(summary = "OFREP provider configuration")
    public Map<String, Object> configuration() {
        return Map.of(
                "name",
                "rollguard",
                "capabilities",
                Map.of(
                        "cacheInvalidation",
                        Map.of("polling", Map.of("enabled", true, "minPollingIntervalMs", 1000)),
                        "flagEvaluation",
                        Map.of("supportedTypes", List.of("boolean", "string", "int", "float", "object"))));
    }
}
