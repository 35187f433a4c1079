package dev.rollguard.flag.domain;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** How a stage of a rollout plan advances to the next. */
public enum Promotion {
    /** Advances by itself once the soak time, the minimums and the guard's evidence allow it. */
    AUTO,
    /** Waits for an operator's promote. */
    MANUAL;

    @JsonValue
    public String json() {
        return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator
    public static Promotion of(String value) {
        return valueOf(value.toUpperCase(Locale.ROOT));
    }
}
