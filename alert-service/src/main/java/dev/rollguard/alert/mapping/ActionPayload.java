package dev.rollguard.alert.mapping;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.rollguard.alert.domain.notify.ActionNotice;
import java.util.Map;

/**
 * The generic receivers' body for an automatic action ({@code "type": "action"}, so a receiver that also gets alert
 * notifications can tell them apart: those have {@code "version": "4"} and no type).
 *
 * @param type always {@code action}
 * @param version version of this body, {@code 1}
 * @param source the acting service: {@code rollback-service} or {@code promoter}
 * @param topic the topic the action was published on: {@code rollbacks} or {@code rollouts}
 * @param actionId the action's unique id, the same on every notification of it
 * @param flagKey the flag acted on (absent for a rollback-service notification about an alert without a flag)
 * @param action KILL, REVERT_STAGE, PAUSE, NOTIFY_ONLY; PROMOTE, EXTEND, HOLD, REVERT
 * @param outcome what came of it, e.g. APPLIED, DRY_RUN, FAILED, SKIPPED_COOLDOWN, REFUSED
 * @param dryRun decided, not applied
 * @param reason the acting service's explanation (also in the flag's audit log)
 * @param evidence the evidence in one line
 * @param at when the flag changed, else when the action was decided (ISO-8601)
 * @param consoleURL the console page to open: the flag's, or the automatic actions for an action without a flag
 * @param receiver the subscription's name
 * @param details the event's other fields (alert, rule, values and cohorts for rollbacks; stages, clients, verdict and
 *     metrics for rollouts)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ActionPayload(
        String type,
        String version,
        String source,
        String topic,
        String actionId,
        String flagKey,
        String action,
        String outcome,
        boolean dryRun,
        String reason,
        String evidence,
        String at,
        String consoleURL,
        String receiver,
        Map<String, Object> details) {

    public static ActionPayload of(ActionNotice action, String receiver, ConsoleLinks links) {
        return new ActionPayload(
                "action",
                "1",
                action.source(),
                action.topic(),
                action.actionId(),
                action.flagKey(),
                action.action(),
                action.outcome(),
                action.dryRun(),
                action.reason(),
                action.evidence(),
                action.at() == null ? null : action.at().toString(),
                action.flagKey() == null ? links.rollbacks(null) : links.flag(action.flagKey()),
                receiver,
                action.details());
    }
}
