package dev.rollguard.console.view;

import dev.rollguard.console.client.ServiceClient;
import io.quarkus.qute.TemplateExtension;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/** Formatting for the pages, as {@code {f:time(x)}}; every function shows a dash for a missing value. */
@TemplateExtension(namespace = "f")
public final class Formats {

    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss'Z'").withZone(ZoneOffset.UTC);

    private Formats() {}

    static String time(Instant at) {
        return at == null ? "-" : TIME.format(at);
    }

    static String iso(Instant at) {
        return at == null ? "" : at.toString();
    }

    static long millis(Instant at) {
        return at == null ? 0 : at.toEpochMilli();
    }

    static String num(Double value) {
        if (value == null || value.isNaN()) {
            return "-";
        }
        double abs = Math.abs(value);
        String pattern = abs != 0 && abs < 1e-4 ? "%.2e" : abs < 0.01 ? "%.5f" : abs < 10 ? "%.4f" : "%.1f";
        return String.format(Locale.ROOT, pattern, value);
    }

    /** A value of {@code metric} with its unit ({@link MetricUnits}): {@code 3.11 %}, {@code 850 ms}. */
    static String value(String metric, Double value) {
        return MetricUnits.format(metric, value);
    }

    static String ms(Long value) {
        return value == null ? "-" : value + " ms";
    }

    static String text(String value) {
        return value == null || value.isBlank() ? "-" : value;
    }

    /** A query parameter's value, URL-encoded: an id may hold '&', '+', '#' or spaces. */
    static String query(String value) {
        return value == null ? "" : ServiceClient.enc(value);
    }

    static String lower(String value) {
        return value == null ? "" : value.toLowerCase(Locale.ROOT);
    }

    /**
     * A threshold in words: the guard's ({@code GUARD}) is a tolerance relative to control, e.g. {@code at most 20 %
     * worse than control}; any other is the comparator and the value, in the unit of {@code metric}.
     */
    static String threshold(String metric, String comparator, double threshold) {
        if ("GUARD".equals(comparator)) {
            if (!Double.isFinite(threshold)) {
                // BigDecimal has no NaN nor infinity: the raw value, rather than no evidence page at all.
                return "GUARD tolerance: " + threshold;
            }
            return "GUARD tolerance: at most "
                    + java.math.BigDecimal.valueOf(threshold)
                            .movePointRight(2)
                            .stripTrailingZeros()
                            .toPlainString()
                    + " % worse than control";
        }
        return text(comparator) + " " + MetricUnits.format(metric, threshold);
    }

    /** {@code url} when it is an absolute http(s) address, else null, so that nothing else becomes a link. */
    static String webLink(String url) {
        if (url == null) {
            return null;
        }
        try {
            java.net.URI uri = new java.net.URI(url.strip());
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            return (scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null ? uri.toString() : null;
        } catch (java.net.URISyntaxException e) {
            return null;
        }
    }
}
