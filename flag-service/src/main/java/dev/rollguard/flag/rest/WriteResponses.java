package dev.rollguard.flag.rest;

import dev.rollguard.flag.domain.WriteOutcome;
import dev.rollguard.flag.service.WriteResult;
import dev.rollguard.http.conditional.ETags;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/**
 * The HTTP answer to a write, first given or replayed for an Idempotency-Key: the status its outcome calls for, the
 * resource as JSON, and its version as the ETag.
 */
final class WriteResponses {

    private WriteResponses() {}

    static int status(WriteOutcome outcome) {
        return switch (outcome) {
            case CREATED -> 201;
            case UPDATED, UNCHANGED -> 200;
            case DELETED -> 204;
        };
    }

    static Response.ResponseBuilder respond(WriteResult result) {
        if (result.outcome() == WriteOutcome.DELETED) {
            return Response.noContent();
        }
        Response.ResponseBuilder response = Response.status(status(result.outcome()))
                .type(MediaType.APPLICATION_JSON_TYPE)
                .entity(result.json());
        if (result.version() != null) {
            response.header(HttpHeaders.ETAG, ETags.of(result.version()));
        }
        return response;
    }
}
