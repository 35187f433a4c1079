package dev.rollguard.console.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A service's answer as the console shows it: the status, the JSON body (missing when there was none or it was not
 * JSON), the raw text, the ETag, and the Content-Type (null when none came). {@code consoleAccount} is true when there
 * was no answer to show and {@code text} is the console's own account of why (no answer in time, no connection, a
 * request not sent).
 */
public record ApiResult(
        int status, JsonNode body, String text, String etag, String contentType, boolean consoleAccount) {

    /** The most characters of an answer that is not a Rollguard error that {@link #message} repeats. */
    static final int MAX_SHOWN = 120;

    /** A tag, a comment or a doctype: the body is markup (a proxy's or a server's HTML page). */
    private static final Pattern MARKUP = Pattern.compile("<[A-Za-z!/?]");

    /** A body that begins, after blanks (and a byte order mark), with a tag, a comment, a doctype or an XML prolog. */
    private static final Pattern PAGE_START = Pattern.compile("^[\\s\\uFEFF]*<[A-Za-z!?]");

    /** The media types of web pages. */
    private static final Pattern PAGE_TYPE = Pattern.compile("(?i)\\s*(text/html|application/xhtml\\+xml)\\s*(;.*)?");

    /** The media types of JSON: {@code application/json} and the {@code +json} types. */
    private static final Pattern JSON_TYPE = Pattern.compile("(?i)\\s*application/([\\w.-]+\\+)?json\\s*(;.*)?");

    /** The most characters of a Content-Type that {@link #described} repeats. */
    private static final int MAX_TYPE_SHOWN = 60;

    /** The code of {@link #unexpected}: no service said it, and no service answered HTTP 502. */
    public static final String UNEXPECTED_ANSWER = "UNEXPECTED_ANSWER";

    private static final Pattern CONTROL_OR_SPACE = Pattern.compile("[\\p{Cc}\\p{Cf}\\p{Z}\\s]+");

    /** A service's answer. */
    public ApiResult(int status, JsonNode body, String text, String etag, String contentType) {
        this(status, body, text, etag, contentType, false);
    }

    /** A service's answer without a Content-Type. */
    public ApiResult(int status, JsonNode body, String text, String etag) {
        this(status, body, text, etag, null);
    }

    public static ApiResult unavailable(String service, String why) {
        return new ApiResult(503, MissingNode.getInstance(), service + " is unavailable: " + why, null, null, true);
    }

    /** A request the console could not build, so never sent: nothing was applied. */
    public static ApiResult notSent(String service, String why) {
        return new ApiResult(
                503,
                MissingNode.getInstance(),
                "the console could not send the request to " + service + " (" + why + "); nothing was sent",
                null,
                null,
                true);
    }

    /**
     * A write sent that got no answer (the connection dropped or timed out after the request went out): the service
     * may have applied it.
     */
    public static ApiResult noAnswer(String service, String why) {
        return new ApiResult(504, MissingNode.getInstance(), service + " did not answer: " + why, null, null, true);
    }

    /**
     * A 2xx answer that is not what the console asked for (a proxy's text or page in front of the service, JSON of
     * another shape): no answer to show, said by its status and type only, so that nothing of it passes for the
     * service's.
     */
    public static ApiResult unexpected(String service, String why) {
        return new ApiResult(
                502, MissingNode.getInstance(), service + " gave an unexpected answer: " + why, null, null, true);
    }

    /** True for {@link #unexpected}. */
    public boolean unexpected() {
        return status == 502 && consoleAccount;
    }

    /** True when the answer says it is JSON ({@code application/json}, a {@code +json} type) and is. */
    public boolean json() {
        return jsonType() && !body.isMissingNode();
    }

    /** True when the Content-Type says JSON, whatever the body. */
    public boolean jsonType() {
        return contentType != null && JSON_TYPE.matcher(contentType).matches();
    }

    /**
     * The answer by its status and type only, on one line: {@code HTTP 200 of type text/plain}, {@code HTTP 200
     * without a Content-Type}.
     */
    public String described() {
        String type = contentType == null ? "" : oneLine(contentType);
        if (type.codePointCount(0, type.length()) > MAX_TYPE_SHOWN) {
            type = type.substring(0, type.offsetByCodePoints(0, MAX_TYPE_SHOWN)).stripTrailing() + "…";
        }
        return "HTTP " + status + (type.isEmpty() ? " without a Content-Type" : " of type " + type);
    }

    /**
     * A service's text on one line, as the console shows it: control and format characters (line breaks,
     * bidirectional overrides such as U+202E, zero-width characters) and runs of spaces become one space, so that what
     * a service repeats from a client cannot reorder or forge what the page or the log shows around it.
     */
    public static String oneLine(String text) {
        return text == null
                ? null
                : CONTROL_OR_SPACE.matcher(text).replaceAll(" ").strip();
    }

    /** True for {@link #noAnswer}, and for a gateway's timeout: whether the write was applied is not known. */
    public boolean unanswered() {
        return status == 504 && !body.hasNonNull("code");
    }

    public boolean ok() {
        return status >= 200 && status < 300;
    }

    /**
     * The documented error's human message, on one line (it may quote what a client sent: control and format
     * characters, such as line breaks and bidirectional overrides, become spaces, as in {@link #summary}); the
     * console's own account when no answer came; else a short summary of what came ({@link #summary}): never a whole
     * page of a proxy in front of the service.
     */
    public String message() {
        if (body.hasNonNull("message")) {
            return oneLine(body.get("message").asText());
        }
        return consoleAccount ? text : summary();
    }

    /**
     * An answer that is not a Rollguard error, in a few words safe to show and log: its status, and its text when that
     * is not markup, on one line (control and format characters, such as line breaks and
     * bidirectional overrides, as spaces) and cut after {@value #MAX_SHOWN} characters
     * ({@code HTTP 502: upstream connect error}). An HTML page says its status only ({@code HTTP 502}): its text would
     * be tags and styles, and a page repeated in the console's own could be read as the console's.
     */
    public String summary() {
        String said = text == null ? "" : oneLine(text);
        if (said.isEmpty() || page() || MARKUP.matcher(said).find()) {
            return "HTTP " + status;
        }
        if (said.codePointCount(0, said.length()) > MAX_SHOWN) {
            said = said.substring(0, said.offsetByCodePoints(0, MAX_SHOWN)).stripTrailing() + "…";
        }
        return "HTTP " + status + ": " + said;
    }

    /**
     * True when the answer is a web page (a proxy's, a sign-in page's) rather than a service's own text: its
     * Content-Type says HTML, or its body begins with a tag, a comment or a doctype. Markup further in does not make a
     * page: a service's text may quote what clients sent, such as an error code {@code <timeout>}.
     */
    public boolean page() {
        if (contentType != null && PAGE_TYPE.matcher(contentType).matches()) {
            return true;
        }
        return text != null && PAGE_START.matcher(text).find();
    }

    /**
     * The documented error's code; {@value #UNEXPECTED_ANSWER} for {@link #unexpected}, whose 502 is the console's
     * own and no service's; else {@code HTTP_} and the status.
     */
    public String code() {
        return unexpected() ? UNEXPECTED_ANSWER : body.path("code").asText("HTTP_" + status);
    }

    /**
     * The field violations of a 400 VALIDATION_FAILED answer, field path to message (first one per field), each on one
     * line as {@link #message} is: a violation may quote what a client sent.
     */
    public Map<String, String> violations() {
        Map<String, String> result = new LinkedHashMap<>();
        body.path("violations")
                .forEach(v -> result.putIfAbsent(
                        oneLine(v.path("field").asText("body")),
                        oneLine(v.path("message").asText())));
        return result;
    }

    /**
     * What a 400 names, path to message: the targeting problems of {@code INVALID_TARGETING}
     * ({@code rules[2].constraints[1].values}) and the field violations of {@code VALIDATION_FAILED}, in order, each on
     * one line as {@link #message} is.
     */
    public Map<String, String> problems() {
        Map<String, String> result = new LinkedHashMap<>();
        body.path("problems")
                .forEach(p -> result.merge(
                        oneLine(p.path("path").asText("body")),
                        oneLine(p.path("message").asText()),
                        (a, b) -> a + "; " + b));
        violations().forEach((field, message) -> result.merge(field, message, (a, b) -> a + "; " + b));
        return result;
    }
}
