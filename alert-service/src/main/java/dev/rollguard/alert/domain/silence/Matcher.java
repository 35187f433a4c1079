package dev.rollguard.alert.domain.silence;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * One condition of a silence on one label, as Alertmanager writes it: {@code name="value"} ({@code isEqual}),
 * {@code name!="value"}, {@code name=~"regex"}, {@code name!~"regex"}. A regular expression must match the whole
 * value; an absent label has the value "" (so {@code flag=""} matches alerts without a flag).
 */
public record Matcher(
        String name, String value, @JsonProperty("isRegex") boolean isRegex, @JsonProperty("isEqual") boolean isEqual) {

    public Matcher {
        if (isRegex) {
            // Compiled once here so an invalid expression is refused when the silence is made, not when it is used.
            Pattern.compile(value);
        }
    }

    public boolean matches(Map<String, String> labels) {
        String actual = labels.getOrDefault(name, "");
        boolean matched = isRegex ? Pattern.compile(value).matcher(actual).matches() : value.equals(actual);
        return matched == isEqual;
    }

    @Override
    public String toString() {
        return name + (isEqual ? (isRegex ? "=~" : "=") : (isRegex ? "!~" : "!=")) + '"' + value + '"';
    }
}
