package dev.rollguard.flag.service;

import dev.rollguard.flag.domain.Condition;
import dev.rollguard.flag.mapping.FlagMapper;
import dev.rollguard.http.error.ErrorBody;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.event.Segment;
import dev.rollguard.schemas.targeting.TargetingValidation;
import java.util.List;

/** The shared {@link TargetingValidation}, answered as 400 {@code INVALID_TARGETING} with every problem. */
final class Targeting {

    private Targeting() {}

    /** Refuses a flag whose rules, segments (as copied in) or variant weights cannot be saved. */
    static void check(FlagChangedEvent flag) {
        refuseIf(TargetingValidation.validate(flag));
    }

    /** Refuses a segment whose key or constraints cannot be saved; paths are relative to the segment. */
    static void checkSegment(String key, List<Condition> constraints) {
        refuseIf(TargetingValidation.validate(
                new Segment(key, constraints.stream().map(FlagMapper::toEvent).toList())));
    }

    private static void refuseIf(List<TargetingValidation.Problem> problems) {
        if (!problems.isEmpty()) {
            throw FlagErrors.invalidTargeting(problems.stream()
                    .map(p -> new ErrorBody.Problem(p.path(), p.message()))
                    .toList());
        }
    }
}
