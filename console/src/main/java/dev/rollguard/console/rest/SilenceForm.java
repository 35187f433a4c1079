package dev.rollguard.console.rest;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The new-silence form as typed: matchers one per line, written as Alertmanager and {@code bin/rollguard silence add}
 * write them ({@code table=orders}, {@code flag=~"checkout-.*"}, {@code severity!=info}), a duration ({@code 30m},
 * {@code 2h}, {@code 1d}), the author and the comment. Turned into the alert-service's {@code POST /api/silences}
 * body; what the form itself cannot read is said per field, the rest the alert-service checks.
 */
public record SilenceForm(String matchers, String duration, String createdBy, String comment) {

    private static final Pattern MATCHER =
            Pattern.compile("\\s*([a-zA-Z_][a-zA-Z0-9_]*)\\s*(=~|!~|!=|=)\\s*(\"(?:[^\"\\\\]|\\\\.)*\"|[^\"]*?)\\s*");
    private static final Pattern DURATION = Pattern.compile("\\s*(\\d{1,4})\\s*([mhd])\\s*");

    public SilenceForm {
        matchers = matchers == null ? "" : matchers;
        duration = duration == null || duration.isBlank() ? "2h" : duration.strip();
        createdBy = createdBy == null ? "" : createdBy.strip();
        comment = comment == null ? "" : comment.strip();
    }

    public static SilenceForm empty() {
        return new SilenceForm("", "2h", "", "");
    }

    /** What the form cannot read, by field; empty when it can be sent. */
    public Map<String, String> problems() {
        Map<String, String> problems = new LinkedHashMap<>();
        List<String> lines = lines();
        if (lines.isEmpty()) {
            problems.put("matchers", "Name at least one matcher, such as table=orders.");
        }
        for (String line : lines) {
            if (!MATCHER.matcher(line).matches()) {
                problems.put(
                        "matchers",
                        "\"" + line
                                + "\" is not a matcher: write name=value, name!=value, name=~regex or name!~regex.");
                break;
            }
        }
        if (end(Instant.EPOCH) == null) {
            problems.put("duration", "Write how long, such as 30m, 2h or 1d.");
        }
        return problems;
    }

    /** The body of {@code POST /api/silences}, ending {@code duration} after {@code now}. */
    public Map<String, Object> body(Instant now) {
        List<Map<String, Object>> list = new ArrayList<>();
        for (String line : lines()) {
            Matcher m = MATCHER.matcher(line);
            if (!m.matches()) {
                throw new IllegalStateException("problems() lets no unreadable matcher through");
            }
            String op = m.group(2);
            String value = m.group(3);
            if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                value = value.substring(1, value.length() - 1).replaceAll("\\\\(.)", "$1");
            }
            list.add(ordered(
                    "name", m.group(1), "value", value, "isRegex", op.endsWith("~"), "isEqual", !op.startsWith("!")));
        }
        return ordered("matchers", list, "endsAt", end(now).toString(), "createdBy", createdBy, "comment", comment);
    }

    /** A JSON object in the order the API documents it, so the request reads as the docs show it. */
    private static Map<String, Object> ordered(Object... keysAndValues) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return map;
    }

    private List<String> lines() {
        return matchers.lines().filter(l -> !l.isBlank()).map(String::strip).toList();
    }

    private Instant end(Instant now) {
        Matcher m = DURATION.matcher(duration);
        if (!m.matches() || Long.parseLong(m.group(1)) == 0) {
            return null;
        }
        long amount = Long.parseLong(m.group(1));
        Duration length =
                switch (m.group(2)) {
                    case "m" -> Duration.ofMinutes(amount);
                    case "h" -> Duration.ofHours(amount);
                    default -> Duration.ofDays(amount);
                };
        return now.plus(length);
    }
}
