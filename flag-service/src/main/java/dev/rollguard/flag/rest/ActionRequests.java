package dev.rollguard.flag.rest;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.PositiveOrZero;
import jakarta.validation.constraints.Size;

/** Bodies of the one-call operations on a flag and on the global switch. */
public final class ActionRequests {

    private ActionRequests() {}

    /** Kill, unkill, archive, pause, resume, global kill: why, for the audit log. */
    public record ReasonRequest(@Size(max = 2000) String reason) {}

    /** Kill and global kill need a reason. */
    public record KillRequest(@NotBlank @Size(max = 2000) String reason) {}

    /** Move along the rollout plan. */
    public record StageRequest(
            @NotNull @Pattern(regexp = "advance|revert|set", message = "must be advance, revert or set") String action,
            @PositiveOrZero Integer stage,
            @Size(max = 2000) String reason) {}
}
