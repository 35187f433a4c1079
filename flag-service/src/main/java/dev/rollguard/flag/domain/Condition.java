package dev.rollguard.flag.domain;

import dev.rollguard.schemas.event.ConstraintOperator;
import java.util.List;

/**
 * One constraint on an attribute of the evaluation context, as stored in a rule or a segment (the semantics are those
 * of the FlagChangedEvent's Constraint).
 */
public record Condition(
        String attribute, ConstraintOperator operator, List<String> values, boolean negate, boolean caseInsensitive) {

    public Condition {
        values = values == null ? List.of() : List.copyOf(values);
    }
}
