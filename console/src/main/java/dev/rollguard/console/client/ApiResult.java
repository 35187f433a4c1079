package dev.rollguard.console.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A service's answer as the console shows it: the status, the JSON body (missing when there was none or it was not
 * JSON), the raw text, and the ETag.
 */
public record ApiResult(int status, JsonNode body, String text, String etag) {

    public static ApiResult unavailable(String service, String why) {
        return new ApiResult(503, MissingNode.getInstance(), service + " is unavailable: " + why, null);
    }

    /** A request the console could not build, so never sent: nothing was applied. */
    public static ApiResult notSent(String service, String why) {
        return new ApiResult(
                503,
                MissingNode.getInstance(),
                "the console could not send the request to " + service + " (" + why + "); nothing was sent",
                null);
    }

    /**
     * A write sent that got no answer (the connection dropped or timed out after the request went out): the service
     * may have applied it.
     */
    public static ApiResult noAnswer(String service, String why) {
        return new ApiResult(504, MissingNode.getInstance(), service + " did not answer: " + why, null);
    }

    /** True for {@link #noAnswer}, and for a gateway's timeout: whether the write was applied is not known. */
    public boolean unanswered() {
        return status == 504 && !body.hasNonNull("code");
    }

    public boolean ok() {
        return status >= 200 && status < 300;
    }

    /** The documented error's human message, or the status when the body is not a Rollguard error. */
    public String message() {
        if (body.hasNonNull("message")) {
            return body.get("message").asText();
        }
        return text == null || text.isBlank() ? "HTTP " + status : text;
    }

    public String code() {
        return body.path("code").asText("HTTP_" + status);
    }

    /** The field violations of a 400 VALIDATION_FAILED answer, field path to message (first one per field). */
    public Map<String, String> violations() {
        Map<String, String> result = new LinkedHashMap<>();
        body.path("violations")
                .forEach(v -> result.putIfAbsent(
                        v.path("field").asText("body"), v.path("message").asText()));
        return result;
    }

    /**
     * What a 400 names, path to message: the targeting problems of {@code INVALID_TARGETING}
     * ({@code rules[2].constraints[1].values}) and the field violations of {@code VALIDATION_FAILED}, in order.
     */
    public Map<String, String> problems() {
        Map<String, String> result = new LinkedHashMap<>();
        body.path("problems")
                .forEach(p -> result.merge(
                        p.path("path").asText("body"), p.path("message").asText(), (a, b) -> a + "; " + b));
        violations().forEach((field, message) -> result.merge(field, message, (a, b) -> a + "; " + b));
        return result;
    }
}
