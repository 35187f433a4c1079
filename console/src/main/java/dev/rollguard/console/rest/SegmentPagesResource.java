package dev.rollguard.console.rest;

import static dev.rollguard.console.client.ServiceClient.enc;
import static dev.rollguard.console.rest.FlagPagesResource.failure;
import static dev.rollguard.console.rest.FlagPagesResource.forbidden;
import static dev.rollguard.console.rest.FlagPagesResource.html;
import static dev.rollguard.console.rest.FlagPagesResource.seeOther;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollguard.console.client.ApiResult;
import dev.rollguard.console.client.ServiceClient;
import dev.rollguard.console.client.ServiceClient.Service;
import dev.rollguard.console.session.CurrentSession;
import dev.rollguard.console.session.OperatorSession;
import dev.rollguard.console.session.SessionStore;
import dev.rollguard.console.view.SegmentView;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Segments (flag-service {@code /api/segments}): named, reusable constraint sets that rules reference. List, create,
 * edit (the flag-service republishes every flag that uses the segment) and delete, which the flag-service refuses
 * with {@code 409 SEGMENT_IN_USE} while a flag's rule uses the segment: the page then names those flags.
 */
@Path("/")
@Produces(MediaType.TEXT_HTML + ";charset=UTF-8")
public class SegmentPagesResource {

    static final String SEGMENTS_API = "/api/segments";
    private static final Pattern USED_BY = Pattern.compile("used by flags? ([^:;]+)");

    private final ServiceClient services;
    private final CurrentSession current;
    private final PageAccess access;
    private final ObjectMapper json;

    public SegmentPagesResource(ServiceClient services, CurrentSession current, ObjectMapper json, PageAccess access) {
        this.access = access;
        this.services = services;
        this.current = current;
        this.json = json;
    }

    @GET
    @Path("segments")
    public Response list(@QueryParam("notice") String notice, @HeaderParam("HX-Request") String htmx) {
        OperatorSession s = current.get();
        ApiResult result = services.get(Service.FLAG, SEGMENTS_API, s.token());
        List<SegmentView> segments = new ArrayList<>();
        String unknown = AlertPagesResource.unreadable(result, "the flag-service");
        if (unknown == null) {
            result.body().forEach(n -> segments.add(SegmentView.of(n)));
        }
        segments.sort(Comparator.comparing(SegmentView::key));
        String error = unknown == null ? null : "Segments could not be read: " + unknown;
        return html(
                FlagPagesResource.unknownStatus(unknown, htmx),
                Pages.segments(s, segments, notice(notice), error).render());
    }

    @GET
    @Path("segments/new")
    public Response newSegment() {
        OperatorSession s = current.get();
        if (!s.canWrite()) {
            return forbidden(s);
        }
        return html(200, Pages.segmentForm(s, SegmentForm.empty(), true, null).render());
    }

    @POST
    @Path("segments")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response create(MultivaluedMap<String, String> params) {
        return save(null, params);
    }

    @GET
    @Path("segments/{key}/edit")
    public Response edit(@PathParam("key") String key) {
        PageAccess.Granted segment = access.segmentToChange(key);
        if (segment.refused()) {
            return segment.refusal();
        }
        OperatorSession s = segment.session();
        return html(
                200,
                Pages.segmentForm(s, SegmentForm.of(segment.body()), false, null)
                        .render());
    }

    @POST
    @Path("segments/{key}/edit")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response update(@PathParam("key") String key, MultivaluedMap<String, String> params) {
        params.putSingle("key", key);
        return save(key, params);
    }

    @GET
    @Path("segments/{key}/delete")
    public Response confirmDelete(@PathParam("key") String key) {
        PageAccess.Granted segment = access.segmentToChange(key);
        if (segment.refused()) {
            return segment.refusal();
        }
        OperatorSession s = segment.session();
        return html(
                200,
                Pages.segmentDelete(s, SegmentView.of(segment.body()), null, List.of(), "")
                        .render());
    }

    @POST
    @Path("segments/{key}/delete")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response delete(@PathParam("key") String key, MultivaluedMap<String, String> params) {
        OperatorSession s = current.get();
        if (!s.canWrite() || !SessionStore.csrfMatches(s, params.getFirst("_csrf"))) {
            return forbidden(s);
        }
        // The reason is optional for the flag-service; when given it is kept with the deletion.
        String reason = params.getFirst("reason") == null ? "" : params.getFirst("reason");
        String query = reason.isBlank() ? "" : "?reason=" + enc(reason.strip());
        ApiResult result =
                services.write(Service.FLAG, "DELETE", SEGMENTS_API + "/" + enc(key) + query, s, null, Map.of());
        if (result.ok()) {
            return seeOther("/segments?notice=deleted");
        }
        ApiResult segment = services.get(Service.FLAG, SEGMENTS_API + "/" + enc(key), s.token());
        if (!segment.ok()) {
            return failure(s, segment, "Segment " + key);
        }
        String error = "The flag-service refused: " + result.message() + " (" + result.code() + ")";
        return html(
                result.status() >= 500 ? 502 : result.status() == 409 ? 409 : 400,
                Pages.segmentDelete(s, SegmentView.of(segment.body()), error, usedBy(result, segment.body()), reason)
                        .render());
    }

    /**
     * The flags a {@code SEGMENT_IN_USE} refusal names: its {@code flags} list when it carries one, else the segment's
     * own {@code usedBy}, else the keys its message names ("... is used by flags a, b: remove it from their rules
     * first").
     */
    static List<String> usedBy(ApiResult result, JsonNode segment) {
        if (!"SEGMENT_IN_USE".equals(result.code())) {
            return List.of();
        }
        List<String> flags = new ArrayList<>();
        result.body().path("flags").forEach(f -> flags.add(f.asText()));
        if (flags.isEmpty()) {
            segment.path("usedBy").forEach(f -> flags.add(f.asText()));
        }
        if (flags.isEmpty()) {
            Matcher m = USED_BY.matcher(result.message());
            if (m.find()) {
                Arrays.stream(m.group(1).split(","))
                        .map(String::strip)
                        .filter(f -> !f.isEmpty())
                        .forEach(flags::add);
            }
        }
        return flags;
    }

    private Response save(String key, MultivaluedMap<String, String> params) {
        OperatorSession s = current.get();
        if (!s.canWrite() || !SessionStore.csrfMatches(s, params.getFirst("_csrf"))) {
            return forbidden(s);
        }
        boolean creating = key == null;
        SegmentForm form = SegmentForm.of(params);
        String action = params.getFirst("do") == null ? "save" : params.getFirst("do");
        if (!action.equals("save")) {
            return html(200, Pages.segmentForm(s, form, creating, null).render());
        }
        ObjectNode body = form.toJson(json);
        ApiResult result = creating
                ? services.write(Service.FLAG, "POST", SEGMENTS_API, s, body, Map.of())
                : services.write(
                        Service.FLAG,
                        "PUT",
                        SEGMENTS_API + "/" + enc(key),
                        s,
                        body,
                        form.version().matches("\\d{1,19}")
                                ? Map.of("If-Match", "\"" + form.version() + "\"")
                                : Map.of());
        if (result.ok()) {
            return seeOther("/segments?notice=" + (creating ? "created" : "saved"));
        }
        String error;
        if (result.status() == 400 && !result.problems().isEmpty()) {
            List<String> elsewhere = form.addProblems(result.problems());
            error = "The flag-service refused the segment (" + result.code() + ")."
                    + (elsewhere.isEmpty() ? "" : " " + String.join(" ", elsewhere));
        } else if (result.status() == 412) {
            error = "Someone changed this segment while you were editing it. Open it again to see their change, then"
                    + " make yours.";
        } else if (result.code().equals("SEGMENT_EXISTS")) {
            form.errors().put("key", result.message());
            error = "The flag-service refused the segment (" + result.code() + ").";
        } else {
            error = "The flag-service refused: " + result.message() + " (" + result.code() + ")";
        }
        return html(
                result.status() >= 500 ? 502 : result.status() == 409 ? 409 : 400,
                Pages.segmentForm(s, form, creating, error).render());
    }

    private static String notice(String notice) {
        if (notice == null) {
            return null;
        }
        return switch (notice) {
            case "created" -> "Segment created.";
            case "saved" -> "Segment saved: every flag that uses it is published again with it.";
            case "deleted" -> "Segment deleted.";
            default -> null;
        };
    }
}
