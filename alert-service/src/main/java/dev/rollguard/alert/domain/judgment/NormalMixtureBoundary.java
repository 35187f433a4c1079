package dev.rollguard.alert.domain.judgment;

import org.apache.commons.math3.util.FastMath;

/**
 * The always-valid confidence sequence behind every verdict: the normal-mixture boundary of the mixture sequential
 * probability ratio test (Johari, Koomen, Pekelis, Walsh, "Peeking at A/B tests", KDD 2017; "Always valid
 * inference", Operations Research 2022), which is the Gaussian-mixture confidence sequence of Howard, Ramdas,
 * McAuliffe, Sekhon ("Time-uniform, nonparametric, nonasymptotic confidence sequences", Annals of Statistics 2021)
 * applied, as in Waudby-Smith, Arnold, Wu, Howard, Ramdas ("Time-uniform central limit theory and asymptotic
 * confidence sequences", Annals of Statistics 2024), to an asymptotically normal estimate with an estimated variance.
 *
 * <p>An estimate {@code d} of an effect {@code delta} with variance {@code v}, cumulative since the stage began, is
 * compared with the mixture over alternatives {@code delta ~ N(theta, tau^2)}: the likelihood ratio
 * {@code Lambda(theta) = sqrt(v / (v + tau^2)) * exp(tau^2 (d - theta)^2 / (2 v (v + tau^2)))} is a nonnegative
 * martingale under {@code delta = theta} in information time {@code 1/v}, so by Ville's inequality it exceeds
 * {@code 1/alpha} at any look, ever, with probability at most {@code alpha}. The confidence sequence is the set of
 * {@code theta} it has not rejected: {@code d +- sqrt(2 v (v + tau^2) / tau^2 * log(sqrt((v + tau^2) / v) / alpha))}.
 * Checking it after every window, for as long as the stage lasts, keeps the miss rate of the interval, on both sides
 * together, at most {@code alpha}.
 *
 * <p>{@code tau} is the tuning parameter: the boundary is tightest, about 1.28 times the fixed-sample z-interval at
 * {@code alpha = 0.001}, when {@code tau^2 / v = -2 log(alpha) + log(1 - 2 log(alpha))} (16.5 at {@code alpha =
 * 0.001}), and widens only slowly (logarithmically) for larger {@code tau^2 / v}, but quickly (as
 * {@code sqrt(v) / tau}) for smaller ones.
 */
public final class NormalMixtureBoundary {

    private NormalMixtureBoundary() {}

    /**
     * Half-width of the confidence sequence at level {@code 1 - alpha} for an estimate with variance {@code variance}
     * and mixture scale {@code tau}. Zero when the variance is zero.
     */
    public static double halfWidth(double variance, double tau, double alpha) {
        requireValid(variance, tau, alpha);
        if (variance == 0) {
            return 0;
        }
        double tau2 = tau * tau;
        double logTerm = 0.5 * FastMath.log((variance + tau2) / variance) - FastMath.log(alpha);
        return FastMath.sqrt(2 * variance * (variance + tau2) / tau2 * logTerm);
    }

    /** {@link #halfWidth} in standard errors: how many standard errors the boundary lies from the estimate. */
    public static double multiplier(double variance, double tau, double alpha) {
        return variance == 0 ? 0 : halfWidth(variance, tau, alpha) / FastMath.sqrt(variance);
    }

    /**
     * Natural logarithm of the mixture likelihood ratio {@code Lambda(theta)}: the evidence against
     * {@code delta = theta}. The confidence sequence at level {@code 1 - alpha} excludes {@code theta} exactly when this
     * reaches {@code log(1/alpha)}. Positive infinity when the variance is zero and the estimate differs from
     * {@code theta}.
     */
    public static double logEvidence(double estimate, double variance, double tau, double theta) {
        requireValid(variance, tau, 0.5);
        double diff = estimate - theta;
        if (variance == 0) {
            return diff == 0 ? 0 : Double.POSITIVE_INFINITY;
        }
        double tau2 = tau * tau;
        return 0.5 * FastMath.log(variance / (variance + tau2))
                + tau2 * diff * diff / (2 * variance * (variance + tau2));
    }

    /**
     * The mixture scale that makes the boundary tightest at variance {@code targetVariance}:
     * {@code tau^2 = targetVariance * (-2 log(alpha) + log(1 - 2 log(alpha)))} (Howard et al. 2021, section 3.5).
     */
    public static double tauTightestAt(double targetVariance, double alpha) {
        double twoLog = -2 * FastMath.log(alpha);
        return FastMath.sqrt(targetVariance * (twoLog + FastMath.log(1 + twoLog)));
    }

    private static void requireValid(double variance, double tau, double alpha) {
        if (!(variance >= 0) || !(tau > 0) || !(alpha > 0 && alpha < 1)) {
            throw new IllegalArgumentException(
                    "need variance >= 0, tau > 0, 0 < alpha < 1: " + variance + ", " + tau + ", " + alpha);
        }
    }
}
