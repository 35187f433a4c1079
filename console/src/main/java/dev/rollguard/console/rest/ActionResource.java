package dev.rollguard.console.rest;

import static dev.rollguard.console.client.ServiceClient.enc;
import static dev.rollguard.console.rest.FlagPagesResource.forbidden;
import static dev.rollguard.console.rest.FlagPagesResource.html;
import static dev.rollguard.console.rest.FlagPagesResource.seeOther;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollguard.console.client.ApiResult;
import dev.rollguard.console.client.ServiceClient;
import dev.rollguard.console.client.ServiceClient.Service;
import dev.rollguard.console.session.CurrentSession;
import dev.rollguard.console.session.OperatorSession;
import dev.rollguard.console.session.SessionStore;
import dev.rollguard.console.view.FlagView;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.RestForm;

/**
 * The one-call operations: kill and un-kill, stage advance / revert / set, and the global kill switch. Each is a
 * page first, saying exactly what will happen and asking why; the confirmed form then calls the flag-service.
 */
@Path("/")
@Produces(MediaType.TEXT_HTML + ";charset=UTF-8")
public class ActionResource {

    private final ServiceClient services;
    private final CurrentSession current;
    private final PageAccess access;
    private final ObjectMapper json;

    public ActionResource(ServiceClient services, CurrentSession current, ObjectMapper json, PageAccess access) {
        this.access = access;
        this.services = services;
        this.current = current;
        this.json = json;
    }

    @GET
    @Path("flags/{key}/{action:kill|unkill|advance|revert|set}")
    public Response confirm(
            @PathParam("key") String key, @PathParam("action") String action, @QueryParam("stage") Integer stage) {
        PageAccess.Granted flag = access.flagToChange(key);
        if (flag.refused()) {
            return flag.refusal();
        }
        OperatorSession s = flag.session();
        Confirmation c = describe(FlagView.of(flag.body()), action, stage);
        return html(
                200,
                Pages.confirm(s, c, "", null, Attempt.fresh(flag.body()), null).render());
    }

    @POST
    @Path("flags/{key}/{action:kill|unkill|advance|revert|set}")
    public Response perform(
            @PathParam("key") String key,
            @PathParam("action") String action,
            @RestForm Integer stage,
            @RestForm String reason,
            @RestForm String idempotencyKey,
            @RestForm String stageVersion,
            @RestForm("_csrf") String csrf) {
        OperatorSession s = current.get();
        if (!s.canWrite() || !SessionStore.csrfMatches(s, csrf)) {
            return forbidden(s);
        }
        // The key the page was shown with keeps a double submit to one move; the stage it showed keeps a move from
        // being made from another stage (the promoter advanced, someone else reverted): 409 STAGE_CHANGED.
        Attempt attempt = Attempt.posted(idempotencyKey, stageVersion);
        if ((reason == null || reason.isBlank()) && Confirmation.reasonRequired(action)) {
            ApiResult flag = services.get(Service.FLAG, "/api/flags/" + enc(key), s.token());
            Confirmation c =
                    flag.ok() ? describe(FlagView.of(flag.body()), action, stage) : unread(key, action, stage, flag);
            return html(
                    400,
                    Pages.confirm(s, c, reason == null ? "" : reason, null, attempt, REASON_MISSING)
                            .render());
        }
        ObjectNode body = json.createObjectNode();
        body.put("reason", reason == null ? "" : reason.strip());
        String path = "/api/flags/" + enc(key) + "/";
        if (action.equals("kill") || action.equals("unkill")) {
            path += action;
        } else {
            path += "stage";
            body.put("action", action);
            if (stage != null) {
                body.put("stage", stage);
            }
            if (attempt.stageVersion() != null) {
                body.put("stageVersion", attempt.stageVersion());
            }
        }
        ApiResult result = services.write(Service.FLAG, "POST", path, s, body, attempt.headers());
        if (result.ok()) {
            return seeOther("/flags/" + enc(key) + "?notice=" + action);
        }
        // The page comes back with what was said; a flag that cannot be read again does not hide it.
        ApiResult flag = services.get(Service.FLAG, "/api/flags/" + enc(key), s.token());
        Confirmation c =
                flag.ok() ? describe(FlagView.of(flag.body()), action, stage) : unread(key, action, stage, flag);
        String said = result.unanswered() ? unanswered(result) + (flag.ok() ? READ_AGAIN : "") : refusal(result);
        return html(
                status(result),
                Pages.confirm(
                                s,
                                c,
                                reason == null ? "" : reason,
                                said,
                                result.unanswered() ? attempt : Attempt.fresh(flag.ok() ? flag.body() : null),
                                null)
                        .render());
    }

    /** The page's status after a write that did not go through: the refusal's own, a 502 for a failing service. */
    static int status(ApiResult result) {
        return result.unanswered() ? 504 : result.status() >= 500 ? 502 : result.status();
    }

    /** The confirmation of an action on a flag that could not be read again: what it would do now is not known. */
    static Confirmation unread(String key, String action, Integer stage, ApiResult flag) {
        String title =
                switch (action) {
                    case "kill" -> "Kill ";
                    case "unkill" -> "Un-kill ";
                    case "advance" -> "Advance ";
                    case "revert" -> "Revert ";
                    default -> "Set the stage of ";
                };
        return new Confirmation(
                title + key,
                unreadEffect(key, flag),
                "/flags/" + enc(key) + "/" + action,
                key,
                "set".equals(action) ? stage : null,
                action.equals("kill") || action.equals("revert"),
                Confirmation.reasonRequired(action),
                null);
    }

    static String unreadEffect(String key, ApiResult flag) {
        return "What this does now is not known: " + key + " could not be read again (" + flag.message() + ", "
                + flag.code() + ").";
    }

    @GET
    @Path("kill-switch")
    public Response confirmGlobal(@QueryParam("on") String on) {
        OperatorSession s = current.get();
        if (!s.canWrite()) {
            return forbidden(s);
        }
        Boolean direction = direction(on);
        if (direction == null) {
            return badDirection(s);
        }
        return html(
                200,
                Pages.confirm(s, describeGlobal(direction), "", null, Attempt.fresh(null), null)
                        .render());
    }

    /**
     * The way the global switch is turned, as the console's links and forms say it: {@code true} or {@code false}.
     * Anything else is null, never read as off: turning it off is an action too.
     */
    static Boolean direction(String on) {
        return "true".equals(on) ? Boolean.TRUE : "false".equals(on) ? Boolean.FALSE : null;
    }

    private static Response badDirection(OperatorSession s) {
        return html(
                400,
                Pages.error(
                                s,
                                "No such action",
                                "The global kill switch is turned with on=true or on=false; nothing was changed.")
                        .render());
    }

    @POST
    @Path("kill-switch")
    public Response global(
            @RestForm("on") String direction,
            @RestForm String reason,
            @RestForm String idempotencyKey,
            @RestForm("_csrf") String csrf) {
        OperatorSession s = current.get();
        if (!s.canWrite() || !SessionStore.csrfMatches(s, csrf)) {
            return forbidden(s);
        }
        Boolean on = direction(direction);
        if (on == null) {
            return badDirection(s);
        }
        Attempt attempt = Attempt.posted(idempotencyKey, null);
        if ((reason == null || reason.isBlank()) && on) {
            return html(
                    400,
                    Pages.confirm(s, describeGlobal(on), reason == null ? "" : reason, null, attempt, REASON_MISSING)
                            .render());
        }
        String why = reason == null ? "" : reason.strip();
        ApiResult result = on
                ? services.write(
                        Service.FLAG,
                        "POST",
                        "/api/kill-switch",
                        s,
                        json.createObjectNode().put("reason", why),
                        attempt.headers())
                : services.write(
                        Service.FLAG, "DELETE", "/api/kill-switch?reason=" + enc(why), s, null, attempt.headers());
        if (result.ok()) {
            return seeOther("/flags");
        }
        return html(
                status(result),
                Pages.confirm(
                                s,
                                describeGlobal(on),
                                why,
                                result.unanswered() ? unanswered(result) : refusal(result),
                                result.unanswered() ? attempt : Attempt.fresh(null),
                                null)
                        .render());
    }

    /** The field message of a reason left empty or blank: spaces alone would reach the audit log as no reason. */
    static final String REASON_MISSING =
            "Write why: the reason is kept in the audit log, and spaces alone are no reason.";

    static final String READ_AGAIN = " What this page says the action does is from the flag as read again just now.";

    /** A write that got no answer: it may have been applied. The page around it says the flag as read again. */
    static String unanswered(ApiResult result) {
        return result.message() + ". The action may have been applied. Sending this form again does not apply it"
                + " twice.";
    }

    static String refusal(ApiResult result) {
        StringBuilder message = new StringBuilder("The flag-service refused: ").append(result.message());
        result.violations().forEach((field, why) -> message.append(" (")
                .append(field)
                .append(' ')
                .append(why)
                .append(')'));
        // The code, as the runbook and the flag-service's README name each refusal.
        if (result.body().hasNonNull("code")) {
            message.append(" (").append(result.code()).append(')');
        }
        return message.toString();
    }

    static Confirmation describe(FlagView flag, String action, Integer stage) {
        String key = flag.key();
        String base = "/flags/" + enc(key) + "/" + action;
        return switch (action) {
            case "kill" ->
                new Confirmation(
                        "Kill " + key,
                        "Every client gets the off value of " + key
                                + " at once, whatever its rollout and stage. It stays"
                                + " killed until someone un-kills it.",
                        base,
                        key,
                        null,
                        true,
                        Confirmation.reasonRequired(action),
                        null);
            case "unkill" ->
                new Confirmation(
                        "Un-kill " + key,
                        "Clients get " + key + " as its rollout says again: " + flag.rolloutPercentage()
                                + " % of users,"
                                + " stage " + flag.stageLabel()
                                + (flag.enabled() ? "" : " (the flag itself is disabled)")
                                + ".",
                        base,
                        key,
                        null,
                        false,
                        Confirmation.reasonRequired(action),
                        null);
            case "advance" -> {
                FlagView.Stage next = flag.nextStage();
                yield new Confirmation(
                        "Advance " + key,
                        next == null
                                ? key + " is at the last stage of its plan; there is no stage to advance to."
                                : "Move " + key + " from " + flag.stageLabel() + " (" + flag.rolloutPercentage()
                                        + " %) to stage " + (next.index() + 1) + " " + next.name() + ": "
                                        + next.percentage() + " % of users get the change.",
                        base,
                        key,
                        null,
                        false,
                        Confirmation.reasonRequired(action),
                        null);
            }
            case "revert" -> {
                FlagView.Stage previous = flag.previousStage();
                yield new Confirmation(
                        "Revert " + key,
                        previous == null
                                ? key + " is not past its first stage; there is no stage to go back to."
                                : "Move " + key + " back from " + flag.stageLabel() + " (" + flag.rolloutPercentage()
                                        + " %) to stage " + (previous.index() + 1) + " " + previous.name() + ": "
                                        + previous.percentage() + " % of users keep the change.",
                        base,
                        key,
                        null,
                        true,
                        Confirmation.reasonRequired(action),
                        null);
            }
            default -> {
                FlagView.Stage target =
                        stage == null || stage < 0 || stage >= flag.stages().size()
                                ? null
                                : flag.stages().get(stage);
                yield new Confirmation(
                        "Set the stage of " + key,
                        target == null
                                ? "Choose a stage of the plan first."
                                : "Move " + key + " from " + flag.stageLabel() + " (" + flag.rolloutPercentage()
                                        + " %) to stage " + (target.index() + 1) + " " + target.name() + ": "
                                        + target.percentage() + " % of users get the change.",
                        base,
                        key,
                        stage,
                        false,
                        Confirmation.reasonRequired(action),
                        null);
            }
        };
    }

    private static Confirmation describeGlobal(boolean on) {
        return on
                ? new Confirmation(
                        "Turn the global kill switch ON",
                        "Every flag in this environment serves its off value to every client until the switch is"
                                + " turned off again. Use it when you cannot tell which flag is at fault.",
                        "/kill-switch",
                        null,
                        null,
                        true,
                        true,
                        true)
                : new Confirmation(
                        "Turn the global kill switch OFF",
                        "Flags serve their own state again: killed flags stay killed, the others return to their"
                                + " rollouts.",
                        "/kill-switch",
                        null,
                        null,
                        false,
                        false,
                        false);
    }
}
