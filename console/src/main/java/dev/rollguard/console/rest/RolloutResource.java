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
import dev.rollguard.console.client.ServiceClient.Reads;
import dev.rollguard.console.client.ServiceClient.Reads.Pending;
import dev.rollguard.console.client.ServiceClient.Service;
import dev.rollguard.console.live.LiveHistory;
import dev.rollguard.console.session.CurrentSession;
import dev.rollguard.console.session.OperatorSession;
import dev.rollguard.console.session.SessionStore;
import dev.rollguard.console.view.PromoterView;
import dev.rollguard.console.view.RolloutSection;
import dev.rollguard.console.view.RolloutStep;
import dev.rollguard.console.view.RolloutTimeline;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jboss.resteasy.reactive.RestForm;

/**
 * A flag's rollout: the section of its page that shows the plan as a timeline with the promoter's view (reloaded in
 * place when the flag changes or a step arrives), the promoter's automatic steps, and the controls promote, pause,
 * resume, abort and retry. Each control is a page first, saying what it will do and asking why; the confirmed form
 * calls the flag-service's {@code /api/flags/{key}/rollout/...} with the operator's token, and its refusal is shown.
 */
@Path("/")
@Produces(MediaType.TEXT_HTML + ";charset=UTF-8")
public class RolloutResource {

    /** The promoter's assessments (rollback-service), {@code ?flag=}. */
    static final String PROMOTIONS_API = "/api/promotions";
    /** The promoter's automatic steps, newest first (rollback-service), {@code ?flag=&limit=}. */
    static final String ROLLOUTS_API = "/api/rollouts";

    private final ServiceClient services;
    private final CurrentSession current;
    private final LiveHistory history;
    private final ObjectMapper json;

    public RolloutResource(ServiceClient services, CurrentSession current, LiveHistory history, ObjectMapper json) {
        this.services = services;
        this.current = current;
        this.history = history;
        this.json = json;
    }

    /** The rollout section alone, for the flag's page to swap in; a failing service is said inside it (200). */
    @GET
    @Path("flags/{key}/rollout")
    public Response section(@PathParam("key") String key) {
        OperatorSession s = current.get();
        return html(200, Pages.rolloutSection(s, read(services, s, key)).render());
    }

    /** The promoter's steps alone, for the flag's page to swap in. */
    @GET
    @Path("flags/{key}/rollout-steps")
    public Response steps(@PathParam("key") String key) {
        List<String> problems = new ArrayList<>();
        List<RolloutStep> steps = steps(services, history, current.get(), key, problems);
        return html(
                200,
                Pages.rolloutSteps(key, steps, problems.isEmpty() ? null : problems.get(0))
                        .render());
    }

    @GET
    @Path("flags/{key}/rollout/{action:promote|pause|resume|abort|retry}")
    public Response confirm(@PathParam("key") String key, @PathParam("action") String action) {
        OperatorSession s = current.get();
        if (!s.canWrite()) {
            return forbidden(s);
        }
        ApiResult timeline = timeline(services, s, key);
        if (!timeline.ok()) {
            return failure(s, timeline, "Flag " + key);
        }
        Confirmation c = describe(RolloutTimeline.of(timeline.body()), key, action, false);
        return html(
                200,
                Pages.confirm(s, c, "", null, Attempt.fresh(timeline.body()), null)
                        .render());
    }

    @POST
    @Path("flags/{key}/rollout/{action:promote|pause|resume|abort|retry}")
    public Response perform(
            @PathParam("key") String key,
            @PathParam("action") String action,
            @RestForm String reason,
            @RestForm String skipSoak,
            @RestForm String idempotencyKey,
            @RestForm String stageVersion,
            @RestForm("_csrf") String csrf) {
        OperatorSession s = current.get();
        if (!s.canWrite() || !SessionStore.csrfMatches(s, csrf)) {
            return forbidden(s);
        }
        Attempt attempt = Attempt.posted(idempotencyKey, stageVersion);
        if ((reason == null || reason.isBlank()) && Confirmation.reasonRequired(action)) {
            ApiResult timeline = timeline(services, s, key);
            Confirmation c = timeline.ok()
                    ? describe(RolloutTimeline.of(timeline.body()), key, action, "true".equalsIgnoreCase(skipSoak))
                    : unread(key, action, "true".equalsIgnoreCase(skipSoak), timeline);
            return html(
                    400,
                    Pages.confirm(s, c, reason == null ? "" : reason, null, attempt, ActionResource.REASON_MISSING)
                            .render());
        }
        String why = reason == null ? "" : reason.strip();
        boolean skip = "true".equalsIgnoreCase(skipSoak);
        ObjectNode body = json.createObjectNode().put("reason", why);
        if (action.equals("promote")) {
            body.put("skipSoak", skip);
            if (attempt.stageVersion() != null) {
                body.put("stageVersion", attempt.stageVersion());
            }
        }
        ApiResult result = services.write(
                Service.FLAG, "POST", "/api/flags/" + enc(key) + "/rollout/" + action, s, body, attempt.headers());
        if (result.ok()) {
            return seeOther("/flags/" + enc(key) + "?notice=" + action);
        }
        // The page comes back with what was said; a timeline that cannot be read again does not hide it.
        ApiResult timeline = timeline(services, s, key);
        Confirmation c = timeline.ok()
                ? describe(RolloutTimeline.of(timeline.body()), key, action, skip)
                : unread(key, action, skip, timeline);
        // Without an answer the same key goes on, so that sending again cannot apply the action twice; after a
        // refusal the page is a new attempt at the stage read now.
        Attempt next = result.unanswered() ? attempt : Attempt.fresh(timeline.ok() ? timeline.body() : null);
        String said = result.unanswered()
                ? ActionResource.unanswered(result) + (timeline.ok() ? ActionResource.READ_AGAIN : "")
                : ActionResource.refusal(result);
        return html(
                ActionResource.status(result),
                Pages.confirm(s, c, reason == null ? "" : reason, said, next, null)
                        .render());
    }

    private static Confirmation unread(String key, String action, boolean skipSoak, ApiResult timeline) {
        String title = Character.toUpperCase(action.charAt(0)) + action.substring(1) + " " + key;
        return new Confirmation(
                title,
                ActionResource.unreadEffect(key, timeline),
                "/flags/" + enc(key) + "/rollout/" + action,
                key,
                null,
                action.equals("abort"),
                Confirmation.reasonRequired(action),
                null,
                action.equals("promote") ? skipSoak : null);
    }

    static RolloutSection read(ServiceClient services, OperatorSession s, String key) {
        Reads reads = services.reads();
        Pending timeline = reads.get(Service.FLAG, timelineQuery(key), s.token());
        Pending promotions = reads.get(Service.ROLLBACK, promotionsQuery(key), s.token());
        return read(key, timeline.await(), promotions.await());
    }

    /** The section from the flag-service's timeline and the promoter's assessments, read together. */
    static RolloutSection read(String key, ApiResult answer, ApiResult promotions) {
        PromoterView promoter = PromoterView.of(promotions, key);
        ApiResult timeline = ServiceClient.shaped(Service.FLAG, answer, "a rollout timeline", JsonNode::isObject);
        if (!timeline.ok()) {
            String why = timeline.status() == 404
                    ? "the flag-service does not know flag " + key + " (" + timeline.code() + ")."
                    : timeline.message() + " (" + timeline.code() + ").";
            return new RolloutSection(key, null, "The rollout timeline is unavailable: " + why, promoter);
        }
        return new RolloutSection(key, RolloutTimeline.of(timeline.body()), null, promoter);
    }

    static String timelineQuery(String key) {
        return "/api/flags/" + enc(key) + "/rollout";
    }

    static String promotionsQuery(String key) {
        return PROMOTIONS_API + "?flag=" + enc(key);
    }

    static String stepsQuery(String key) {
        return ROLLOUTS_API + "?limit=50&flag=" + enc(key);
    }

    /** The promoter's steps from the rollback-service, with those read from the topic it has not (yet) served. */
    static List<RolloutStep> steps(
            ServiceClient services, LiveHistory history, OperatorSession s, String key, List<String> problems) {
        return steps(services.get(Service.ROLLBACK, stepsQuery(key), s.token()), history, key, problems);
    }

    /** The promoter's steps from the rollback-service's answer {@code result}, with those read from the topic. */
    static List<RolloutStep> steps(ApiResult result, LiveHistory history, String key, List<String> problems) {
        List<RolloutStep> steps = new ArrayList<>();
        if (result.ok() && result.body().isArray()) {
            result.body().forEach(n -> steps.add(RolloutStep.of(n)));
        } else {
            problems.add("The promoter's steps are unavailable: "
                    + (result.status() == 404
                            ? "the rollback-service has no promoter (HTTP 404)"
                            : result.ok() ? "its answer is not a list" : result.message())
                    + ". Steps read from the rollouts topic are shown.");
        }
        Set<String> seen = new HashSet<>();
        steps.forEach(step -> seen.add(step.id()));
        history.rollouts(key).stream().filter(step -> seen.add(step.id())).forEach(steps::add);
        steps.sort(Comparator.comparing(RolloutStep::at, Comparator.nullsLast(Comparator.reverseOrder())));
        return steps;
    }

    private static ApiResult timeline(ServiceClient services, OperatorSession s, String key) {
        return services.get(Service.FLAG, timelineQuery(key), s.token());
    }

    static Confirmation describe(RolloutTimeline t, String key, String action, boolean skipSoak) {
        String form = "/flags/" + enc(key) + "/rollout/" + action;
        RolloutTimeline.Stage current = t.current();
        String at = current == null ? "not on its plan (" + t.rolloutPercentage() + " %)" : "stage " + current.label();
        return switch (action) {
            case "promote" -> {
                RolloutTimeline.Stage next = t.next();
                String effect = next == null
                        ? key + " has no next stage to promote to (it is " + at + ")."
                        : "Move " + key + " from " + at + " to stage " + next.label() + ": " + next.percentage()
                                + " % of users get the change, and its soak starts.";
                if (next != null && current != null && !t.soakOver() && t.soakRemainingSeconds() != null) {
                    effect += " The current stage's soak has " + t.soakRemainingSeconds()
                            + " s left: the flag-service refuses unless you skip it.";
                }
                yield new Confirmation(
                        "Promote " + key,
                        effect,
                        form,
                        key,
                        null,
                        false,
                        Confirmation.reasonRequired(action),
                        null,
                        skipSoak);
            }
            case "pause" ->
                new Confirmation(
                        "Pause " + key,
                        key + " stays at " + at + "; nothing promotes it, by hand or automatically, until someone"
                                + " resumes it.",
                        form,
                        key,
                        null,
                        false,
                        Confirmation.reasonRequired(action),
                        null);
            case "resume" ->
                new Confirmation(
                        "Resume " + key,
                        "The rollout of " + key + " goes on from " + at + ": it can be promoted again, and the"
                                + " promoter promotes an automatic stage when its evidence allows.",
                        form,
                        key,
                        null,
                        false,
                        Confirmation.reasonRequired(action),
                        null);
            case "abort" ->
                new Confirmation(
                        "Abort " + key,
                        "Every client gets the off value of " + key + ": the rollout goes back to 0 % from " + at
                                + ", and stays there until someone retries it.",
                        form,
                        key,
                        null,
                        true,
                        Confirmation.reasonRequired(action),
                        null);
            default -> {
                RolloutTimeline.Stage back = t.retryTarget();
                yield new Confirmation(
                        "Retry " + key,
                        "After a fix: " + key + (t.killed() ? "'s kill is lifted and it" : "") + " goes back to "
                                + (back == null ? "its rollout" : "stage " + back.label())
                                + ", not paused, with that stage's soak starting again.",
                        form,
                        key,
                        null,
                        false,
                        Confirmation.reasonRequired(action),
                        null);
            }
        };
    }
}
