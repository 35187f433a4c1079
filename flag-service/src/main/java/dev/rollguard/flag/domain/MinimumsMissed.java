package dev.rollguard.flag.domain;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** What a rollout does with a stage that has not reached its minimums after its deadline and one extension. */
public enum MinimumsMissed {
    /** Stays in the stage and says why; an operator decides. */
    HOLD,
    /** Goes back to the previous stage. */
    REVERT;

    @JsonValue
    public String json() {
        return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator
    public static MinimumsMissed of(String value) {
        return valueOf(value.toUpperCase(Locale.ROOT));
    }
}
