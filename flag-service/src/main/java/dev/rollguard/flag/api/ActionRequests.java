package dev.rollguard.flag.api;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Positive;
import jakarta.validation.constraints.PositiveOrZero;
import jakarta.validation.constraints.Size;

/** Bodies of the one-call operations on a flag and on the global switch. */
public final class ActionRequests {

    /** The message of a missing body where one is required. */
    public static final String BODY_REQUIRED = "is required: a JSON object";

    /** The longest reason kept in the audit log. */
    public static final int MAX_REASON = 2000;

    private ActionRequests() {}

    /** Kill, unkill, archive, pause, resume, global kill: why, for the audit log. */
    public record ReasonRequest(@CleanText(multiline = true) @Size(max = MAX_REASON) String reason) {}

    /** Kill and global kill need a reason. */
    public record KillRequest(@NotBlank @CleanText(multiline = true) @Size(max = MAX_REASON) String reason) {}

    /** Promote to the next stage; {@code skipSoak} goes on before the current stage's soak time is over. */
    public record PromoteRequest(
            @CleanText(multiline = true) @Size(max = MAX_REASON) String reason,
            Boolean skipSoak,
            @Positive Long stageVersion) {}

    /** Move along the rollout plan. */
    public record StageRequest(
            @NotNull @CleanText @Pattern(regexp = "advance|revert|set", message = "must be advance, revert or set")
                    String action,
            @PositiveOrZero Integer stage,
            @CleanText(multiline = true) @Size(max = MAX_REASON) String reason,
            @Positive Long stageVersion) {}
}
