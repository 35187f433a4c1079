package dev.rollguard.alert.domain.grouping;

import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations written as Alertmanager and Prometheus write them: units from days to milliseconds, largest first, each
 * at most once ({@code 10s}, {@code 1m}, {@code 4h}, {@code 1h30m}, {@code 500ms}).
 */
public final class DurationText {

    /** The accepted form, for request validation. */
    public static final String PATTERN = "(?=\\d)(\\d+d)?(\\d+h)?(\\d+m(?!s))?(\\d+s)?(\\d+ms)?";

    private static final Pattern PARTS =
            Pattern.compile("(?:(\\d+)d)?(?:(\\d+)h)?(?:(\\d+)m(?!s))?(?:(\\d+)s)?(?:(\\d+)ms)?");
    private static final long[] UNIT_MILLIS = {86_400_000L, 3_600_000L, 60_000L, 1_000L, 1L};
    private static final String[] UNIT_NAMES = {"d", "h", "m", "s", "ms"};

    private DurationText() {}

    /** The duration, or empty when the text is not one (or too large to count in milliseconds). */
    public static Optional<Duration> parse(String text) {
        if (text == null || text.isEmpty() || !Character.isDigit(text.charAt(0))) {
            return Optional.empty();
        }
        Matcher matcher = PARTS.matcher(text);
        if (!matcher.matches()) {
            return Optional.empty();
        }
        long millis = 0;
        try {
            for (int i = 0; i < UNIT_MILLIS.length; i++) {
                String digits = matcher.group(i + 1);
                if (digits != null) {
                    millis = Math.addExact(millis, Math.multiplyExact(Long.parseLong(digits), UNIT_MILLIS[i]));
                }
            }
        } catch (ArithmeticException | NumberFormatException tooLarge) {
            return Optional.empty();
        }
        return Optional.of(Duration.ofMillis(millis));
    }

    /** The shortest text of the duration in this form; zero is {@code 0s}. */
    public static String format(Duration duration) {
        long millis = duration.toMillis();
        if (millis == 0) {
            return "0s";
        }
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < UNIT_MILLIS.length; i++) {
            long count = millis / UNIT_MILLIS[i];
            if (count > 0) {
                text.append(count).append(UNIT_NAMES[i]);
                millis -= count * UNIT_MILLIS[i];
            }
        }
        return text.toString();
    }
}
