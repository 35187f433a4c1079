package dev.rollguard.alert.domain.judgment;

/** A closed interval; either end may be infinite (an interval that the data do not bound yet) or NaN (undefined). */
public record Interval(double lower, double upper) {

    public static final Interval UNDEFINED = new Interval(Double.NaN, Double.NaN);

    public boolean isDefined() {
        return !Double.isNaN(lower) && !Double.isNaN(upper);
    }

    public boolean contains(double value) {
        return lower <= value && value <= upper;
    }
}
