package dev.rollguard.alert.domain.judgment;

import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.util.Locale;

/** Number formatting of verdict summaries: three significant digits, thousands grouped by a space. */
final class Summaries {

    private Summaries() {}

    static String decimal(double value) {
        if (Double.isNaN(value)) {
            return "n/a";
        }
        if (Double.isInfinite(value)) {
            return value > 0 ? "inf" : "-inf";
        }
        double magnitude = Math.abs(value);
        String pattern = magnitude >= 100 || magnitude == 0 ? "#,##0" : magnitude >= 10 ? "#,##0.0" : "#,##0.0#";
        if (magnitude < 1 && magnitude > 0) {
            pattern = "0.0##";
        }
        DecimalFormatSymbols symbols = DecimalFormatSymbols.getInstance(Locale.ROOT);
        symbols.setGroupingSeparator(' ');
        return new DecimalFormat(pattern, symbols).format(value);
    }

    /** A relative change, e.g. {@code +210 %}, {@code -12 %}. */
    static String relative(double fraction) {
        if (Double.isNaN(fraction)) {
            return "n/a";
        }
        if (Double.isInfinite(fraction)) {
            return fraction > 0 ? "+inf %" : "-inf %";
        }
        String sign = fraction >= 0 ? "+" : "";
        return sign + decimal(100 * fraction) + " %";
    }

    static String count(double value) {
        DecimalFormatSymbols symbols = DecimalFormatSymbols.getInstance(Locale.ROOT);
        symbols.setGroupingSeparator(' ');
        return new DecimalFormat("#,##0", symbols).format(value);
    }
}
