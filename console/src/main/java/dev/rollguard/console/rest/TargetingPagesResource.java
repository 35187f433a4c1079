package dev.rollguard.console.rest;

import static dev.rollguard.console.client.ServiceClient.enc;
import static dev.rollguard.console.rest.FlagPagesResource.html;
import static dev.rollguard.console.rest.FlagPagesResource.seeOther;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollguard.console.client.ApiResult;
import dev.rollguard.console.client.ServiceClient;
import dev.rollguard.console.client.ServiceClient.Service;
import dev.rollguard.console.session.CurrentSession;
import dev.rollguard.console.session.OperatorSession;
import dev.rollguard.console.view.FlagView;
import dev.rollguard.console.view.PreviewAnswer;
import dev.rollguard.console.view.RuleView;
import dev.rollguard.console.view.SegmentView;
import io.quarkus.qute.TemplateInstance;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * A flag's targeting: its ordered rules (add, edit, remove, move), its variant weights, and the "who matches" preview
 * of a sample context, answered by the flag-service ({@code POST /api/flags/{key}/preview}) with the stored rules or
 * with the rule being edited, before it is saved. Every change is a merge patch of the whole {@code rules} (or
 * {@code variantWeights}) list with {@code If-Match} the version the operator saw: a concurrent change is reported,
 * never overwritten. The flag-service judges every rule; its {@code 400 INVALID_TARGETING} problems are shown next to
 * the rule and constraint they name.
 */
@Path("/")
@Produces(MediaType.TEXT_HTML + ";charset=UTF-8")
public class TargetingPagesResource {

    static final String CONCURRENT_CHANGE = "Someone changed this flag while you were editing it. Open it again to see"
            + " their change, then make yours.";

    private final ServiceClient services;
    private final CurrentSession current;
    private final PageAccess access;
    private final ObjectMapper json;

    public TargetingPagesResource(
            ServiceClient services, CurrentSession current, ObjectMapper json, PageAccess access) {
        this.access = access;
        this.services = services;
        this.current = current;
        this.json = json;
    }

    // --- the rule editor ---------------------------------------------------------------------------------------

    @GET
    @Path("flags/{key}/rules/new")
    public Response newRule(@PathParam("key") String key) {
        PageAccess.Granted flag = access.flagToChange(key);
        if (flag.refused()) {
            return flag.refusal();
        }
        OperatorSession s = flag.session();
        FlagView view = FlagView.of(flag.body());
        return ruleEditor(
                s, view, RuleForm.empty(view.version()), PreviewForm.empty(), PreviewAnswer.none(), null, 200);
    }

    @GET
    @Path("flags/{key}/rules/{id}/edit")
    public Response editRule(@PathParam("key") String key, @PathParam("id") String id) {
        PageAccess.Granted flag = access.flagToChange(key);
        if (flag.refused()) {
            return flag.refusal();
        }
        OperatorSession s = flag.session();
        FlagView view = FlagView.of(flag.body());
        int index = indexOf(flag.body().path("rules"), id);
        if (index < 0) {
            return html(
                    404,
                    Pages.error(s, "Rule " + id, "Flag " + key + " has no rule " + id + ".")
                            .render());
        }
        return ruleEditor(
                s,
                view,
                RuleForm.of(flag.body().path("rules").get(index), view.version()),
                PreviewForm.empty(),
                PreviewAnswer.none(),
                null,
                200);
    }

    /**
     * The rule editor's form: {@code do=save} (or no {@code do}) saves; adding or removing a constraint row re-shows
     * the form; {@code do=preview} answers the sample context with this draft (the no-script way of the preview).
     */
    @POST
    @Path("flags/{key}/rules")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response saveRule(@PathParam("key") String key, MultivaluedMap<String, String> params) {
        PageAccess.Granted flag = access.flagToChange(key, params.getFirst("_csrf"));
        if (flag.refused()) {
            return flag.refusal();
        }
        OperatorSession s = flag.session();
        String action = params.getFirst("do") == null ? "save" : params.getFirst("do");
        FlagView view = FlagView.of(flag.body());
        RuleForm form = RuleForm.of(params);
        PreviewForm preview = PreviewForm.of(params);
        if (action.equals("preview")) {
            PreviewAnswer answer = preview(s, key, flag.body(), form, preview);
            return ruleEditor(s, view, form, preview, answer, null, 200);
        }
        if (!action.equals("save")) {
            return ruleEditor(s, view, form, preview, PreviewAnswer.none(), null, 200);
        }
        ObjectNode rule = form.toJson(json);
        if (rule == null) {
            return ruleEditor(s, view, form, preview, PreviewAnswer.none(), "Some fields need a fix.", 400);
        }
        ArrayNode rules = withRule(flag.body().path("rules"), form, rule);
        if (rules == null) {
            return ruleEditor(
                    s,
                    view,
                    form,
                    preview,
                    PreviewAnswer.none(),
                    "Rule " + form.original() + " is no longer on this flag: someone removed it meanwhile.",
                    409);
        }
        ObjectNode patch = json.createObjectNode();
        patch.set("rules", rules);
        ApiResult result = patch(s, key, form.version(), patch);
        if (result.ok()) {
            return seeOther("/flags/" + enc(key) + "?notice=" + (form.creating() ? "rule-added" : "rule-saved"));
        }
        String error = refusal(result, form, "rules[" + ruleIndex(rules, form) + "]");
        return ruleEditor(s, view, form, preview, PreviewAnswer.none(), error, result.status() == 503 ? 503 : 400);
    }

    @POST
    @Path("flags/{key}/rules/{id}/move")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response move(
            @PathParam("key") String key, @PathParam("id") String id, MultivaluedMap<String, String> params) {
        PageAccess.Granted flag = access.flagToChange(key, params.getFirst("_csrf"));
        if (flag.refused()) {
            return flag.refusal();
        }
        OperatorSession s = flag.session();
        JsonNode stored = flag.body().path("rules");
        int from = indexOf(stored, id);
        int to = "up".equals(params.getFirst("direction")) ? from - 1 : from + 1;
        if (from < 0 || to < 0 || to >= stored.size()) {
            return html(
                    409,
                    Pages.error(s, "Rule " + id, "Rule " + id + " of " + key + " cannot move that way.")
                            .render());
        }
        List<JsonNode> order = new ArrayList<>();
        stored.forEach(order::add);
        order.add(to, order.remove(from));
        ObjectNode patch = json.createObjectNode();
        patch.putArray("rules").addAll(order);
        ApiResult result = patch(s, key, params.getFirst("version"), patch);
        if (result.ok()) {
            return seeOther("/flags/" + enc(key) + "?notice=rule-moved");
        }
        return refusedPage(s, key, "Rule " + id + " was not moved", result);
    }

    @GET
    @Path("flags/{key}/rules/{id}/remove")
    public Response confirmRemove(@PathParam("key") String key, @PathParam("id") String id) {
        PageAccess.Granted flag = access.flagToChange(key);
        if (flag.refused()) {
            return flag.refusal();
        }
        OperatorSession s = flag.session();
        int index = indexOf(flag.body().path("rules"), id);
        if (index < 0) {
            return html(
                    404,
                    Pages.error(s, "Rule " + id, "Flag " + key + " has no rule " + id + ".")
                            .render());
        }
        return html(200, removal(s, FlagView.of(flag.body()), index, null).render());
    }

    @POST
    @Path("flags/{key}/rules/{id}/remove")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response remove(
            @PathParam("key") String key, @PathParam("id") String id, MultivaluedMap<String, String> params) {
        PageAccess.Granted flag = access.flagToChange(key, params.getFirst("_csrf"));
        if (flag.refused()) {
            return flag.refusal();
        }
        OperatorSession s = flag.session();
        JsonNode stored = flag.body().path("rules");
        int index = indexOf(stored, id);
        if (index < 0) {
            return html(
                    404,
                    Pages.error(s, "Rule " + id, "Flag " + key + " has no rule " + id + ".")
                            .render());
        }
        ObjectNode patch = json.createObjectNode();
        ArrayNode rules = patch.putArray("rules");
        for (int i = 0; i < stored.size(); i++) {
            if (i != index) {
                rules.add(stored.get(i));
            }
        }
        ApiResult result = patch(s, key, params.getFirst("version"), patch);
        if (result.ok()) {
            return seeOther("/flags/" + enc(key) + "?notice=rule-removed");
        }
        String error = result.status() == 412 ? CONCURRENT_CHANGE : ActionResource.refusal(result);
        return html(
                result.status() >= 500 ? 502 : 400,
                removal(s, FlagView.of(flag.body()), index, error).render());
    }

    // --- variant weights ---------------------------------------------------------------------------------------

    @GET
    @Path("flags/{key}/weights")
    public Response weights(@PathParam("key") String key) {
        PageAccess.Granted flag = access.flagToChange(key);
        if (flag.refused()) {
            return flag.refusal();
        }
        OperatorSession s = flag.session();
        return weightsEditor(
                s,
                FlagView.of(flag.body()),
                WeightsForm.of(flag.body()),
                PreviewForm.empty(),
                PreviewAnswer.none(),
                null,
                200);
    }

    /**
     * The weights editor's form: {@code do=save} (or no {@code do}) saves; {@code do=preview} answers the sample
     * context with the weights as typed (the no-script way of the preview), nothing saved.
     */
    @POST
    @Path("flags/{key}/weights")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response saveWeights(@PathParam("key") String key, MultivaluedMap<String, String> params) {
        PageAccess.Granted flag = access.flagToChange(key, params.getFirst("_csrf"));
        if (flag.refused()) {
            return flag.refusal();
        }
        OperatorSession s = flag.session();
        FlagView view = FlagView.of(flag.body());
        WeightsForm form = WeightsForm.of(params);
        PreviewForm sample = PreviewForm.of(params);
        if ("preview".equals(params.getFirst("do"))) {
            PreviewAnswer answer = preview(s, key, flag.body(), form, sample);
            return weightsEditor(s, view, form, sample, answer, null, 200);
        }
        ArrayNode weights = form.toJson(json);
        if (weights == null) {
            return weightsEditor(s, view, form, sample, PreviewAnswer.none(), "Some weights need a fix.", 400);
        }
        ObjectNode patch = json.createObjectNode();
        patch.set("variantWeights", weights);
        ApiResult result = patch(s, key, form.version(), patch);
        if (result.ok()) {
            return seeOther("/flags/" + enc(key) + "?notice=weights-saved");
        }
        String error;
        if (result.status() == 412) {
            error = CONCURRENT_CHANGE;
        } else if (result.status() == 400 && !result.problems().isEmpty()) {
            form.addProblems(result.problems());
            error = "The flag-service refused the weights (" + result.code() + ").";
        } else {
            error = ActionResource.refusal(result);
        }
        return weightsEditor(s, view, form, sample, PreviewAnswer.none(), error, result.status() == 503 ? 503 : 400);
    }

    // --- who matches -------------------------------------------------------------------------------------------

    /**
     * The preview of a sample context. With {@code draft=rule} the rule editor's fields are the draft: the stored
     * rules with this one put in its place; with {@code draft=weights} the weights editor's fields are the draft
     * {@code variantWeights}. From the page's script (htmx, {@code HX-Request}) the answer is the result fragment
     * alone (for weights, with each weight's problem swapped in next to its field); from a plain form, the whole page
     * again with the answer.
     */
    @POST
    @Path("flags/{key}/preview")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response preview(
            @PathParam("key") String key,
            @HeaderParam("HX-Request") String htmx,
            MultivaluedMap<String, String> params) {
        PageAccess.Granted flag = access.flagToPreview(key, params.getFirst("_csrf"));
        if (flag.refused()) {
            return flag.refusal();
        }
        OperatorSession s = flag.session();
        PreviewForm sample = PreviewForm.of(params);
        if (PreviewAnswer.WEIGHTS.equals(params.getFirst("draft")) && s.canWrite()) {
            WeightsForm weights = WeightsForm.of(params);
            PreviewAnswer answer = preview(s, key, flag.body(), weights, sample);
            if ("true".equals(htmx)) {
                return html(200, Pages.weightsPreview(weights, answer).render());
            }
            return weightsEditor(s, FlagView.of(flag.body()), weights, sample, answer, null, 200);
        }
        boolean draft = PreviewAnswer.RULE.equals(params.getFirst("draft")) && s.canWrite();
        RuleForm form = draft ? RuleForm.of(params) : null;
        PreviewAnswer answer = preview(s, key, flag.body(), form, sample);
        if ("true".equals(htmx)) {
            return html(200, Pages.previewResult(answer).render());
        }
        FlagView view = FlagView.of(flag.body());
        if (draft) {
            return ruleEditor(s, view, form, sample, answer, null, 200);
        }
        return html(
                200,
                Pages.preview(s, view, RuleView.list(flag.body().path("rules")), sample, answer)
                        .render());
    }

    private PreviewAnswer preview(OperatorSession s, String key, JsonNode flag, RuleForm draft, PreviewForm sample) {
        String drafted = draft == null ? null : PreviewAnswer.RULE;
        ObjectNode context = sample.context(json);
        if (context == null) {
            return PreviewAnswer.failed(drafted, "The sample context needs a fix.", sample.errors());
        }
        ObjectNode body = json.createObjectNode();
        body.set("context", context);
        JsonNode rules = flag.path("rules");
        if (draft != null) {
            ObjectNode rule = draft.toJson(json);
            if (rule == null) {
                return PreviewAnswer.failed(
                        drafted, "The draft rule needs a fix before it can be previewed.", List.of());
            }
            ArrayNode withDraft = withRule(rules, draft, rule);
            if (withDraft == null) {
                return PreviewAnswer.failed(
                        drafted, "Rule " + draft.original() + " is no longer on this flag.", List.of());
            }
            body.set("rules", withDraft);
            rules = withDraft;
        }
        ApiResult result = askPreview(s, key, body);
        if (result.ok()) {
            return PreviewAnswer.of(result.body(), rules, drafted);
        }
        List<String> problems = new ArrayList<>();
        if (draft != null && result.status() == 400) {
            List<String> elsewhere =
                    draft.addProblems("rules[" + ruleIndex((ArrayNode) rules, draft) + "]", result.problems());
            problems.addAll(draft.problemLines());
            problems.addAll(elsewhere);
        } else {
            result.problems().forEach((path, message) -> problems.add(path + ": " + message));
        }
        return PreviewAnswer.failed(drafted, unanswered(result), problems);
    }

    /** The sample context with the weights as typed in place of the stored ones; their problems put on their rows. */
    private PreviewAnswer preview(OperatorSession s, String key, JsonNode flag, WeightsForm draft, PreviewForm sample) {
        ObjectNode context = sample.context(json);
        if (context == null) {
            return PreviewAnswer.failed(PreviewAnswer.WEIGHTS, "The sample context needs a fix.", sample.errors());
        }
        ArrayNode weights = draft.toJson(json);
        if (weights == null) {
            return PreviewAnswer.failed(
                    PreviewAnswer.WEIGHTS,
                    "The weights as typed need a fix before they can be previewed.",
                    draft.problemLines());
        }
        ObjectNode body = json.createObjectNode();
        body.set("context", context);
        body.set("variantWeights", weights);
        ApiResult result = askPreview(s, key, body);
        if (result.ok()) {
            return PreviewAnswer.of(result.body(), flag.path("rules"), PreviewAnswer.WEIGHTS);
        }
        List<String> problems = new ArrayList<>();
        if (result.status() == 400) {
            draft.addProblems(result.problems());
            problems.addAll(draft.problemLines());
        } else {
            result.problems().forEach((path, message) -> problems.add(path + ": " + message));
        }
        return PreviewAnswer.failed(PreviewAnswer.WEIGHTS, unanswered(result), problems);
    }

    private ApiResult askPreview(OperatorSession s, String key, ObjectNode body) {
        return services.write(Service.FLAG, "POST", "/api/flags/" + enc(key) + "/preview", s, body, Map.of());
    }

    private static String unanswered(ApiResult result) {
        return "The flag-service did not answer the preview: " + result.message() + " (" + result.code() + ")";
    }

    // --- helpers -----------------------------------------------------------------------------------------------

    private Response ruleEditor(
            OperatorSession s,
            FlagView flag,
            RuleForm form,
            PreviewForm preview,
            PreviewAnswer answer,
            String error,
            int status) {
        return html(status, ruleForm(s, flag, form, preview, answer, error).render());
    }

    private static Response weightsEditor(
            OperatorSession s,
            FlagView flag,
            WeightsForm form,
            PreviewForm preview,
            PreviewAnswer answer,
            String error,
            int status) {
        return html(status, Pages.weights(s, flag, form, preview, answer, error).render());
    }

    private static TemplateInstance removal(OperatorSession s, FlagView flag, int index, String error) {
        RuleView rule = RuleView.list(flag.raw().path("rules")).get(index);
        return Pages.ruleRemove(s, flag, rule, error);
    }

    private Response refusedPage(OperatorSession s, String key, String title, ApiResult result) {
        String message = result.status() == 412 ? CONCURRENT_CHANGE : ActionResource.refusal(result);
        return html(
                result.status() >= 500 ? 502 : result.status() == 412 ? 412 : 400,
                Pages.error(s, title, message + " Back to " + key + ".").render());
    }

    private static String refusal(ApiResult result, RuleForm form, String prefix) {
        if (result.status() == 412) {
            return CONCURRENT_CHANGE;
        }
        if (result.status() == 400 && !result.problems().isEmpty()) {
            List<String> elsewhere = form.addProblems(prefix, result.problems());
            String head = "The flag-service refused the rule (" + result.code() + ").";
            return elsewhere.isEmpty() ? head : head + " " + String.join(" ", elsewhere);
        }
        return ActionResource.refusal(result);
    }

    private ApiResult patch(OperatorSession s, String key, String version, ObjectNode body) {
        String v = version == null ? "" : version.strip();
        Map<String, String> headers = v.matches("\\d{1,19}") ? Map.of("If-Match", "\"" + v + "\"") : Map.of();
        return services.write(Service.FLAG, "PATCH", "/api/flags/" + enc(key), s, body, headers);
    }

    /** The stored rules with the form's rule in place of its original, or appended; null if the original is gone. */
    private ArrayNode withRule(JsonNode stored, RuleForm form, ObjectNode rule) {
        ArrayNode rules = json.createArrayNode();
        boolean placed = false;
        for (JsonNode r : stored) {
            if (!form.creating() && r.path("id").asText().equals(form.original())) {
                rules.add(rule);
                placed = true;
            } else {
                rules.add(r);
            }
        }
        if (form.creating()) {
            rules.add(rule);
            return rules;
        }
        return placed ? rules : null;
    }

    private static int ruleIndex(ArrayNode rules, RuleForm form) {
        if (form.creating()) {
            return rules.size() - 1;
        }
        return indexOf(rules, form.original());
    }

    private static int indexOf(JsonNode rules, String id) {
        int i = 0;
        for (JsonNode r : rules) {
            if (r.path("id").asText().equals(id)) {
                return i;
            }
            i++;
        }
        return -1;
    }

    /** The flag's variant names, for the rule's "serves" choice. */
    static List<String> variants(JsonNode flag) {
        List<String> names = new ArrayList<>();
        for (Iterator<String> it = flag.path("variants").fieldNames(); it.hasNext(); ) {
            names.add(it.next());
        }
        if (names.isEmpty()) {
            for (String field : List.of("treatmentVariant", "offVariant")) {
                if (flag.path(field).isTextual()
                        && !names.contains(flag.get(field).asText())) {
                    names.add(flag.get(field).asText());
                }
            }
        }
        return names;
    }

    /**
     * The rule editor with the segments a rule may use for its hint; segments that cannot be read are said unknown,
     * never "no segments yet".
     */
    private TemplateInstance ruleForm(
            OperatorSession s, FlagView flag, RuleForm form, PreviewForm preview, PreviewAnswer answer, String error) {
        ApiResult result = services.get(Service.FLAG, SegmentPagesResource.SEGMENTS_API, s.token());
        String unknown = AlertPagesResource.unreadable(result, "the flag-service");
        List<SegmentView> views = new ArrayList<>();
        if (unknown == null) {
            result.body().forEach(n -> views.add(SegmentView.of(n)));
        }
        return Pages.ruleForm(s, flag, form, variants(flag.raw()), views, unknown, preview, answer, error);
    }
}
