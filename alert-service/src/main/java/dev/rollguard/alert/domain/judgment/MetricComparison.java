package dev.rollguard.alert.domain.judgment;

import java.util.List;
import org.apache.commons.math3.analysis.UnivariateFunction;
import org.apache.commons.math3.analysis.solvers.BrentSolver;
import org.apache.commons.math3.util.FastMath;

/**
 * Compares the treatment with the control on one metric of a flag's current stage.
 *
 * <p>Each cohort's value is its event-weighted ratio {@code R = sumY / sumX} with the client-level delta-method
 * variance ({@link CohortMoments#ratioVariance()}). The tested quantity is the excess of the treatment over what the
 * tolerance allows, {@code E = R_T - ((1 + rel) R_C + abs)} for higher-is-worse metrics (mirrored for lower is
 * worse), with variance {@code Var(R_T) + (1 + rel)^2 Var(R_C)} (independent cohorts). Its always-valid confidence
 * sequence ({@link NormalMixtureBoundary}) at the metric's alpha decides: a lower end above zero is a regression, an
 * upper end below zero is non-inferiority, both from the same interval with a joint error of at most alpha. A wider
 * warning alpha gives the warning level.
 *
 * <p>Degenerate data: a cohort whose clients all have the same ratio (no failure anywhere) has a delta-method
 * variance of zero, which would make any difference look certain; each cohort's variance is therefore at least
 * {@code 1 / sumX^2}, the variance of one event more or less, and for shares of events at least the binomial variance
 * {@code R (1 - R) / sumX} (clustering on clients raises the variance above it, never below but by chance). With fewer than two clients there is no variance over
 * clients, so the metric's minimum of clients (at least 2) applies first. A control value of zero leaves the absolute
 * tolerance as the margin (0 % to 5 % failures is a regression once it is seen on enough clients).
 *
 * <p>The mixture scale of the regression call is {@code tau = max(MIXTURE_SCALE_RELATIVE * |R_C|,
 * spec.mixtureScaleFloor())}: twice the control value puts the tightest point of the boundary where an excess of about
 * the control value itself is detectable, and the floor keeps {@code tau} from collapsing for rare events (see
 * {@link GuardPack}).
 *
 * <p>Non-inferiority is a claim of its own, with its own confidence sequence: the upper end of the excess's interval
 * below zero, at the non-inferiority alpha, with the mixture scale set to the tolerance itself, {@code tau_NI =
 * tolerated - R_C} (the distance from "no difference" to the margin). A healthy stage crosses that margin when the
 * half-width has shrunk to about the tolerance, and the boundary is tightest where {@code tau} is about 0.95 times
 * that half-width (Howard et al. 2021, section 3.5), so this scale makes non-inferiority reachable about half as soon
 * as the regression call's scale would. Its always-valid p-value is {@code min(1, 1 / Lambda(0))} for an estimate
 * below the margin (1 otherwise): the smallest alpha at which the interval excludes the margin at this look. Each of
 * the two claims keeps its own error bound.
 */
public final class MetricComparison {

    public static final String METHOD =
            "normal-mixture confidence sequence (mSPRT) on client-level delta-method ratios";

    private static final int SOLVER_EVALUATIONS = 200;

    private MetricComparison() {}

    /** Judges one metric, with non-inferiority at the regression call's alpha. */
    public static MetricVerdict compare(MetricSpec spec, MetricSample sample, double alpha, double warningAlpha) {
        return compare(spec, sample, alpha, warningAlpha, alpha);
    }

    /**
     * Judges one metric.
     *
     * @param alpha this metric's share of the flag's alpha (the critical level of the regression call)
     * @param warningAlpha this metric's share of the flag's warning alpha, at least {@code alpha}
     * @param nonInferiorityAlpha the error allowed to this metric's non-inferiority claim
     */
    public static MetricVerdict compare(
            MetricSpec spec, MetricSample sample, double alpha, double warningAlpha, double nonInferiorityAlpha) {
        if (!(alpha > 0 && alpha < 1) || !(warningAlpha >= alpha && warningAlpha < 1)) {
            throw new IllegalArgumentException("need 0 < alpha <= warningAlpha < 1: " + alpha + ", " + warningAlpha);
        }
        if (!(nonInferiorityAlpha > 0 && nonInferiorityAlpha < 1)) {
            throw new IllegalArgumentException("need 0 < nonInferiorityAlpha < 1: " + nonInferiorityAlpha);
        }
        CohortMoments treatment;
        CohortMoments control;
        double threshold = Double.NaN;
        double treatedQuantile = Double.NaN;
        double controlQuantile = Double.NaN;
        // A ladder whose control tail lies before its first rung tolerates at least the tail share (toleratedFloor).
        double toleratedFloor = Double.NEGATIVE_INFINITY;
        if (sample instanceof MetricSample.Ladder ladder) {
            if (spec.kind() != MetricKind.TAIL_LADDER
                    || ladder.control().size() != spec.ladder().size()) {
                throw new IllegalArgumentException(spec.name() + ": ladder sample does not fit the metric");
            }
            int rung = rung(spec, ladder.control());
            treatment = ladder.treatment().get(rung);
            control = ladder.control().get(rung);
            threshold = spec.ladder().get(rung);
            treatedQuantile = tailQuantile(spec, ladder.treatment());
            controlQuantile = tailQuantile(spec, ladder.control());
            toleratedFloor = toleratedFloor(spec, rung, ladder.control());
        } else if (sample instanceof MetricSample.Ratio ratio && spec.kind() != MetricKind.TAIL_LADDER) {
            treatment = ratio.treatment();
            control = ratio.control();
        } else {
            throw new IllegalArgumentException(spec.name() + ": a " + spec.kind() + " needs a matching sample");
        }
        double evidenceThreshold = -FastMath.log(alpha);
        if (treatment.isEmpty() || control.isEmpty() || !enough(spec, treatment) || !enough(spec, control)) {
            MetricStatus status =
                    treatment.isEmpty() || control.isEmpty() ? MetricStatus.NO_DATA : MetricStatus.INSUFFICIENT_DATA;
            return new MetricVerdict(
                    spec,
                    status,
                    Severity.NONE,
                    METHOD,
                    threshold,
                    treatment.ratio(),
                    control.ratio(),
                    Double.NaN,
                    Interval.UNDEFINED,
                    Double.NaN,
                    Interval.UNDEFINED,
                    Double.NaN,
                    Double.NaN,
                    Interval.UNDEFINED,
                    1 - alpha,
                    treatment.clients(),
                    control.clients(),
                    treatment.sumX(),
                    control.sumX(),
                    0,
                    evidenceThreshold,
                    treatedQuantile,
                    controlQuantile,
                    1,
                    Double.NaN);
        }

        double rT = treatment.ratio();
        double rC = control.ratio();
        double vT = variance(spec, treatment);
        double vC = variance(spec, control);
        boolean higherIsWorse = spec.direction() == Direction.HIGHER_IS_WORSE || spec.kind() == MetricKind.TAIL_LADDER;
        double controlWeight = higherIsWorse ? 1 + spec.relativeTolerance() : 1 - spec.relativeTolerance();
        double tolerated = Math.max(spec.tolerated(rC), toleratedFloor);
        double excess = higherIsWorse ? rT - tolerated : tolerated - rT;
        double excessVariance = vT + controlWeight * controlWeight * vC;
        double tau = Math.max(GuardPack.MIXTURE_SCALE_RELATIVE * Math.abs(rC), spec.mixtureScaleFloor());

        double halfWidth = NormalMixtureBoundary.halfWidth(excessVariance, tau, alpha);
        double warningHalfWidth = NormalMixtureBoundary.halfWidth(excessVariance, tau, warningAlpha);
        double nonInferiorityP = nonInferiorityP(excess, excessVariance, Math.abs(tolerated - rC), tau);
        MetricStatus status;
        Severity severity = Severity.NONE;
        if (excess - halfWidth > 0) {
            status = MetricStatus.REGRESSION;
            severity = Severity.CRITICAL;
        } else if (excess - warningHalfWidth > 0) {
            status = MetricStatus.REGRESSION;
            severity = Severity.WARNING;
        } else if (nonInferiorityP <= nonInferiorityAlpha) {
            status = MetricStatus.NON_INFERIOR;
        } else {
            status = MetricStatus.INCONCLUSIVE;
        }
        // Signed: towards a regression when the estimate lies above the tolerance, towards non-inferiority below it.
        double evidence =
                Math.signum(excess) * Math.max(0, NormalMixtureBoundary.logEvidence(excess, excessVariance, tau, 0));
        double absoluteHalfWidth = NormalMixtureBoundary.halfWidth(vT + vC, tau, alpha);
        double relative = rC > 0 ? rT / rC - 1 : Double.NaN;
        Interval relativeInterval = rC > 0 ? relativeInterval(rT, vT, rC, vC, tau, alpha) : Interval.UNDEFINED;
        return new MetricVerdict(
                spec,
                status,
                severity,
                METHOD,
                threshold,
                rT,
                rC,
                rT - rC,
                new Interval(rT - rC - absoluteHalfWidth, rT - rC + absoluteHalfWidth),
                relative,
                relativeInterval,
                tolerated,
                excess,
                new Interval(excess - halfWidth, excess + halfWidth),
                1 - alpha,
                treatment.clients(),
                control.clients(),
                treatment.sumX(),
                control.sumX(),
                evidence,
                evidenceThreshold,
                treatedQuantile,
                controlQuantile,
                nonInferiorityP,
                shownWithin(spec, rT, vT, rC, vC, tau, nonInferiorityAlpha, toleratedFloor));
    }

    /** Finest step of {@link #shownWithin}: one percentage point. */
    static final double TOLERANCE_STEP = 0.01;

    /** Widest relative tolerance {@link #shownWithin} looks at for higher-is-worse metrics: +300 %. */
    static final double WIDEST_TOLERANCE = 3.0;

    /**
     * The tightest relative tolerance, in steps of one percentage point, that this metric is shown non-inferior at
     * {@code alpha} for, and for every wider one up to +300 % (99 % for lower-is-worse metrics), with the metric's
     * absolute tolerance on top as always; positive infinity when not even the widest. A rollout stage whose own
     * tolerance is at least this may advance on this metric: each tolerance is its own test at the same alpha, so
     * comparing the stage's fixed tolerance with this bound is that test.
     */
    static double shownWithin(
            MetricSpec spec,
            double rT,
            double vT,
            double rC,
            double vC,
            double regressionTau,
            double alpha,
            double toleratedFloor) {
        boolean higherIsWorse = spec.direction() == Direction.HIGHER_IS_WORSE || spec.kind() == MetricKind.TAIL_LADDER;
        int widest = (int) Math.round((higherIsWorse ? WIDEST_TOLERANCE : 1 - TOLERANCE_STEP) / TOLERANCE_STEP);
        double bound = Double.POSITIVE_INFINITY;
        for (int step = widest; step >= 0; step--) {
            double relative = step * TOLERANCE_STEP;
            double weight = higherIsWorse ? 1 + relative : 1 - relative;
            double tolerated = higherIsWorse
                    ? Math.max(weight * rC + spec.absoluteTolerance(), toleratedFloor)
                    : weight * rC - spec.absoluteTolerance();
            double excess = higherIsWorse ? rT - tolerated : tolerated - rT;
            double p = nonInferiorityP(excess, vT + weight * weight * vC, Math.abs(tolerated - rC), regressionTau);
            if (p > alpha) {
                break;
            }
            bound = relative;
        }
        return bound;
    }

    /**
     * The always-valid p-value of "the treatment is worse than tolerated" ({@code excess >= 0}): {@code 1 / Lambda(0)}
     * of the mixture centred on the margin with scale {@code margin} (the regression call's scale when the tolerance
     * is zero), at most 1, and 1 for an estimate on or beyond the margin.
     */
    static double nonInferiorityP(double excess, double variance, double margin, double regressionTau) {
        if (!(excess < 0)) {
            return 1;
        }
        double tau = margin > 0 ? margin : regressionTau;
        double logEvidence = NormalMixtureBoundary.logEvidence(excess, variance, tau, 0);
        return logEvidence <= 0 ? 1 : FastMath.exp(-logEvidence);
    }

    private static boolean enough(MetricSpec spec, CohortMoments moments) {
        return moments.clients() >= spec.minimumClients() && moments.sumX() >= spec.minimumDenominator();
    }

    /**
     * Delta-method variance of a cohort's ratio, at least the variance of one event more or less; for a share of
     * events, at least the binomial variance of independent events, which clients' clustering can only raise.
     */
    static double variance(MetricSpec spec, CohortMoments moments) {
        double floor = 1.0 / (moments.sumX() * moments.sumX());
        if (spec.kind() != MetricKind.MEAN) {
            double share = moments.ratio();
            floor = Math.max(floor, share * (1 - share) / moments.sumX());
        }
        return Math.max(moments.ratioVariance(), floor);
    }

    /**
     * The ladder rung compared: the smallest threshold whose control share is at most the tail share, the first rung at
     * or beyond the control's tail quantile (for durations its p95, so the rung's control share lies between the tail
     * share and the share one step further out); for a low tail (throughput) the largest such threshold (its p5). When
     * no rung qualifies, the ladder's end on the tail's side.
     *
     * <p>A tight control tail may have no event at all beyond that rung (every sync between 566 and 800 ms): the margin
     * is then the absolute tolerance alone ({@link GuardPack#TAIL_ABSOLUTE_TOLERANCE}), so two identical cohorts can
     * still be shown non-inferior, and a treatment with more than that share of its events beyond the rung, where the
     * control has none, regresses. (Falling back to the rung before, where the control's share exceeds the tail share,
     * would be no better: it can be 100 %, which no treatment can exceed by 20 %.)
     */
    static int rung(MetricSpec spec, List<CohortMoments> control) {
        int last = control.size() - 1;
        if (spec.direction() == Direction.HIGHER_IS_WORSE) {
            for (int k = 0; k <= last; k++) {
                if (control.get(k).ratio() <= spec.tailShare()) {
                    return k;
                }
            }
            return last;
        }
        for (int k = last; k >= 0; k--) {
            if (control.get(k).ratio() <= spec.tailShare()) {
                return k;
            }
        }
        return 0;
    }

    /**
     * The least share of treated events beyond the compared rung that is tolerated: the tail share itself when the
     * control's tail quantile lies outside the ladder, before its first rung (durations: at most the tail share of the
     * control's events exceed the first threshold, so its p95 is at most 100 ms, and possibly no event exceeds it at
     * all), negative infinity (no floor) otherwise.
     *
     * <p>Outside the ladder the control's tail quantile is not measured, only bounded: the ladder does not tell apart
     * values below its first threshold. What can be said honestly is whether the treatment's own tail quantile has
     * left that range too, i.e. whether more than the tail share of its events exceed the first threshold. So the
     * margin is {@code max((1 + rel) R_C + abs, tailShare)}: a blip of a few slow treated events (0.5 % of syncs at
     * 150 ms against a control with none beyond 100 ms) is no regression, since the treatment's p95 is still at most
     * 100 ms, while a treatment whose p95 moves past the first rung is; and two cohorts both within the first rung are
     * shown non-inferior once the treatment's share beyond it is shown below the tail share, instead of staying
     * inconclusive for ever against a margin of zero. The floor changes the margin, not the test: both claims keep
     * their error bounds. (The control's variance still counts in full, although the floor does not depend on the
     * control's value: conservative.)
     */
    static double toleratedFloor(MetricSpec spec, int rung, List<CohortMoments> control) {
        int start = spec.direction() == Direction.HIGHER_IS_WORSE ? 0 : control.size() - 1;
        return rung == start && control.get(rung).ratio() <= spec.tailShare()
                ? spec.tailShare()
                : Double.NEGATIVE_INFINITY;
    }

    /**
     * A cohort's tail quantile (p95 of durations, p5 of throughput) read off the ladder, interpolated on the log scale
     * between the two rungs around it; NaN without data, the ladder's end when it lies beyond.
     */
    static double tailQuantile(MetricSpec spec, List<CohortMoments> cohort) {
        List<Double> t = spec.ladder();
        double q = spec.tailShare();
        int last = cohort.size() - 1;
        if (cohort.get(0).isEmpty()) {
            return Double.NaN;
        }
        if (spec.direction() == Direction.HIGHER_IS_WORSE) {
            for (int k = 0; k <= last; k++) {
                double share = cohort.get(k).ratio();
                if (share <= q) {
                    if (k == 0) {
                        return t.get(0);
                    }
                    double above = cohort.get(k - 1).ratio();
                    return logInterpolate(t.get(k - 1), t.get(k), (above - q) / (above - share));
                }
            }
            return t.get(last);
        }
        for (int k = last; k >= 0; k--) {
            double share = cohort.get(k).ratio();
            if (share <= q) {
                if (k == last) {
                    return t.get(last);
                }
                double next = cohort.get(k + 1).ratio();
                return logInterpolate(t.get(k), t.get(k + 1), (q - share) / (next - share));
            }
        }
        return t.get(0);
    }

    private static double logInterpolate(double from, double to, double fraction) {
        return FastMath.exp(FastMath.log(from) + fraction * (FastMath.log(to) - FastMath.log(from)));
    }

    /**
     * The relative effects {@code rho} that the confidence sequence does not reject:
     * {@code |R_T - (1 + rho) R_C| <= halfWidth(Var(R_T) + (1 + rho)^2 Var(R_C))}, a Fieller-type interval that agrees
     * with the regression call when the tolerance is purely relative. Its upper end is infinite while the control
     * value is not itself distinguishable from zero.
     */
    private static Interval relativeInterval(double rT, double vT, double rC, double vC, double tau, double alpha) {
        double estimate = rT / rC - 1;
        UnivariateFunction outside = rho -> {
            double scale = 1 + rho;
            return Math.abs(rT - scale * rC) - NormalMixtureBoundary.halfWidth(vT + scale * scale * vC, tau, alpha);
        };
        if (!(outside.value(estimate) < 0)) {
            return new Interval(estimate, estimate);
        }
        BrentSolver solver = new BrentSolver();
        double lower = outside.value(-1) <= 0 ? -1 : solver.solve(SOLVER_EVALUATIONS, outside, -1, estimate);
        double step = Math.max(1, Math.abs(estimate));
        double high = estimate + step;
        while (outside.value(high) <= 0) {
            step *= 2;
            high = estimate + step;
            if (step > 1e9) {
                return new Interval(lower, Double.POSITIVE_INFINITY);
            }
        }
        double upper = solver.solve(SOLVER_EVALUATIONS, outside, estimate, high);
        return new Interval(lower, upper);
    }
}
