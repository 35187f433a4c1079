package dev.rollguard.alert.domain.judgment;

/**
 * The judgment of one metric of a flag's current stage, with all the evidence behind it.
 *
 * @param spec the metric
 * @param status the state
 * @param severity {@link Severity#CRITICAL} or {@link Severity#WARNING} for a regression, {@link Severity#NONE}
 *     otherwise
 * @param method how it was judged
 * @param threshold the ladder rung compared (the control's tail quantile), NaN for other kinds
 * @param treated the treatment's value (the share beyond {@code threshold} for a ladder)
 * @param control the control's value
 * @param absoluteEffect {@code treated - control}
 * @param absoluteInterval confidence-sequence interval of the absolute effect at {@code confidence}
 * @param relativeEffect {@code treated / control - 1}; NaN when the control is zero
 * @param relativeInterval confidence-sequence interval of the relative effect at {@code confidence} (Fieller-type,
 *     an end may be infinite), undefined when the control is zero
 * @param tolerated the worst value the treatment may have given the control: the regression threshold
 * @param excess how far the treatment is worse than {@code tolerated} (positive: worse), the quantity tested
 * @param excessInterval the regression call's confidence-sequence interval of the excess: above zero is a regression
 *     (non-inferiority has a boundary of its own, see {@code nonInferiorityP})
 * @param confidence the confidence level of the intervals, {@code 1 - alpha} of this metric
 * @param treatedClients clients behind the treatment's value
 * @param controlClients clients behind the control's value
 * @param treatedEvents events (or reports) behind the treatment's value
 * @param controlEvents events (or reports) behind the control's value
 * @param evidence natural log of the mixture likelihood ratio against "exactly at the tolerance" (at least 0), signed
 *     by the side the estimate lies on: positive towards a regression, negative towards non-inferiority
 * @param evidenceThreshold {@code log(1/alpha)} of this metric: the evidence at which a call is made
 * @param treatedQuantile for a ladder, the treatment's tail quantile interpolated on the ladder; NaN otherwise
 * @param controlQuantile for a ladder, the control's tail quantile; NaN otherwise
 * @param shownWithin the tightest relative tolerance (0.5 = +50 %; for lower is worse, -50 %) this metric is shown
 *     non-inferior for at the non-inferiority alpha, in whole percentage points; infinite when not even +300 %, NaN
 *     without data
 * @param nonInferiorityP always-valid p-value of "worse than tolerated": at most the non-inferiority alpha makes the
 *     NON_INFERIOR call (1 while there is no data or the estimate is beyond the tolerance)
 */
public record MetricVerdict(
        MetricSpec spec,
        MetricStatus status,
        Severity severity,
        String method,
        double threshold,
        double treated,
        double control,
        double absoluteEffect,
        Interval absoluteInterval,
        double relativeEffect,
        Interval relativeInterval,
        double tolerated,
        double excess,
        Interval excessInterval,
        double confidence,
        long treatedClients,
        long controlClients,
        double treatedEvents,
        double controlEvents,
        double evidence,
        double evidenceThreshold,
        double treatedQuantile,
        double controlQuantile,
        double nonInferiorityP,
        double shownWithin) {

    /** How much of the evidence threshold for a regression was reached, from 0; 1 or more makes the call. */
    public double evidenceFraction() {
        return Math.max(0, evidence) / evidenceThreshold;
    }

    /**
     * How much of the evidence for non-inferiority at {@code alpha} was reached, from 0: {@code log(1/p) / log(1/alpha)}
     * of {@link #nonInferiorityP}; 1 or more makes the call at that alpha.
     */
    public double nonInferiorityFraction(double alpha) {
        return -Math.log(nonInferiorityP) / -Math.log(alpha);
    }

    public boolean isRegression() {
        return status == MetricStatus.REGRESSION;
    }

    /**
     * One line for people, e.g. {@code failure rate 3.1 % vs 1.0 %, +210 %, 99.9 % interval [+120 %, +330 %], 212 vs
     * 1 788 clients}.
     */
    public String summary() {
        MetricUnit unit = spec.unit();
        StringBuilder line = new StringBuilder(spec.label());
        if (status == MetricStatus.NO_DATA || status == MetricStatus.INSUFFICIENT_DATA) {
            return line.append(": ")
                    .append(status == MetricStatus.NO_DATA ? "no data" : "insufficient data")
                    .append(", ")
                    .append(Summaries.count(treatedClients))
                    .append(" vs ")
                    .append(Summaries.count(controlClients))
                    .append(" clients, ")
                    .append(Summaries.count(treatedEvents))
                    .append(" vs ")
                    .append(Summaries.count(controlEvents))
                    .append(" events")
                    .toString();
        }
        String percentile = "p"
                + Math.round(
                        100 * (spec.direction() == Direction.LOWER_IS_WORSE ? spec.tailShare() : 1 - spec.tailShare()));
        MetricUnit valueUnit = unit;
        if (spec.kind() == MetricKind.TAIL_LADDER) {
            line.append(' ')
                    .append(percentile)
                    .append(' ')
                    .append(quantile(treatedQuantile))
                    .append(" vs ")
                    .append(quantile(controlQuantile))
                    .append("; events ")
                    .append(spec.direction() == Direction.LOWER_IS_WORSE ? "below " : "above ")
                    .append(unit.format(threshold))
                    .append(':');
            valueUnit = MetricUnit.FRACTION;
        }
        line.append(' ')
                .append(valueUnit.format(treated))
                .append(" vs ")
                .append(valueUnit.format(control))
                .append(", ");
        String level = Summaries.decimal(100 * confidence) + " % interval";
        if (!Double.isNaN(relativeEffect)) {
            line.append(Summaries.relative(relativeEffect))
                    .append(", ")
                    .append(level)
                    .append(" [")
                    .append(Summaries.relative(relativeInterval.lower()))
                    .append(", ")
                    .append(Summaries.relative(relativeInterval.upper()))
                    .append(']');
        } else {
            line.append(difference(valueUnit, absoluteEffect))
                    .append(", ")
                    .append(level)
                    .append(" [")
                    .append(difference(valueUnit, absoluteInterval.lower()))
                    .append(", ")
                    .append(difference(valueUnit, absoluteInterval.upper()))
                    .append(']');
        }
        return line.append(", ")
                .append(Summaries.count(treatedClients))
                .append(" vs ")
                .append(Summaries.count(controlClients))
                .append(" clients, evidence ")
                .append(Summaries.decimal(evidenceFraction()))
                .append(" of threshold")
                .toString();
    }

    /**
     * A tail quantile read off the ladder: at the ladder's start on the tail's side it is only bounded (at most the
     * first duration threshold, at least the last throughput one), which the words say.
     */
    private String quantile(double value) {
        if (spec.ladder().isEmpty() || Double.isNaN(value)) {
            return spec.unit().format(value);
        }
        boolean highTail = spec.direction() == Direction.HIGHER_IS_WORSE;
        double start = highTail
                ? spec.ladder().get(0)
                : spec.ladder().get(spec.ladder().size() - 1);
        if (value == start) {
            return (highTail ? "at most " : "at least ") + spec.unit().format(value);
        }
        return spec.unit().format(value);
    }

    private static String difference(MetricUnit unit, double value) {
        String sign = value >= 0 ? "+" : "";
        if (unit == MetricUnit.FRACTION) {
            return sign + Summaries.decimal(100 * value) + " pts";
        }
        return sign + unit.format(value);
    }
}
