package dev.rollguard.alert.domain.judgment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.apache.commons.math3.analysis.integration.IterativeLegendreGaussIntegrator;
import org.apache.commons.math3.distribution.NormalDistribution;
import org.apache.commons.math3.random.RandomGenerator;
import org.apache.commons.math3.random.Well19937c;
import org.junit.jupiter.api.Test;

/** The confidence-sequence boundary against its definition, the published formulas and a simulation. */
class NormalMixtureBoundaryTest {

    @Test
    void evidenceIsTheMixtureOfLikelihoodRatiosIntegratedNumerically() {
        // Lambda = integral over delta ~ N(0, tau^2) of N(d; delta, v) / N(d; 0, v), by Gauss-Legendre quadrature.
        double d = 0.012;
        double v = 2.5e-5;
        double tau = 0.05;
        NormalDistribution prior = new NormalDistribution(null, 0, tau);
        // The integrand is a Gaussian bump around the posterior mean; +-12 posterior standard deviations hold it all.
        double center = d * tau * tau / (v + tau * tau);
        double width = 12 * Math.sqrt(v * tau * tau / (v + tau * tau));
        IterativeLegendreGaussIntegrator integrator = new IterativeLegendreGaussIntegrator(32, 1e-10, 1e-14);
        double mixture = integrator.integrate(
                10_000,
                delta -> Math.exp((delta * d - delta * delta / 2) / v) * prior.density(delta),
                center - width,
                center + width);
        assertThat(NormalMixtureBoundary.logEvidence(d, v, tau, 0)).isCloseTo(Math.log(mixture), within(1e-6));
    }

    @Test
    void evidenceIsJohariEtAlsMixtureLikelihoodRatio() {
        // Johari et al. 2017, mSPRT with a normal mixture: sqrt(V / (V + tau^2)) exp(tau^2 theta^2 / (2 V (V +
        // tau^2))).
        double theta = -0.3;
        double v = 0.01;
        double tau = 0.2;
        double lambda =
                Math.sqrt(v / (v + tau * tau)) * Math.exp(tau * tau * theta * theta / (2 * v * (v + tau * tau)));
        assertThat(NormalMixtureBoundary.logEvidence(theta, v, tau, 0)).isCloseTo(Math.log(lambda), within(1e-12));
    }

    @Test
    void theIntervalEndsAreWhereTheEvidenceReachesOneOverAlpha() {
        double v = 4e-4;
        double tau = 0.1;
        double alpha = 0.001;
        double h = NormalMixtureBoundary.halfWidth(v, tau, alpha);
        assertThat(NormalMixtureBoundary.logEvidence(0.3 + h, v, tau, 0.3))
                .isCloseTo(Math.log(1 / alpha), within(1e-9));
        assertThat(NormalMixtureBoundary.logEvidence(0.3 - h, v, tau, 0.3))
                .isCloseTo(Math.log(1 / alpha), within(1e-9));
    }

    @Test
    void tightestBoundaryIsAboutFourStandardErrorsAtOnePerMille() {
        // Howard et al. 2021: tau^2 / v = -2 log(alpha) + log(1 - 2 log(alpha)) = 16.51 at alpha = 0.001, where the
        // half-width is 4.206 standard errors (computed independently: sqrt(17.51 / 16.51 * 2 * (log(sqrt(17.51))
        // + log(1000)))), against 3.29 for a single two-sided look.
        double v = 1.0;
        double tau = NormalMixtureBoundary.tauTightestAt(v, 0.001);
        assertThat(tau * tau).isCloseTo(16.5112, within(1e-4));
        assertThat(NormalMixtureBoundary.multiplier(v, tau, 0.001)).isCloseTo(4.2058, within(1e-4));
        assertThat(NormalMixtureBoundary.multiplier(v, tau * 3, 0.001)).isGreaterThan(4.2058);
        assertThat(NormalMixtureBoundary.multiplier(v, tau / 3, 0.001)).isGreaterThan(4.2058);
        // Forgiving on the large side: 10 times the best tau costs under 10 %, 100 times 21 %.
        assertThat(NormalMixtureBoundary.multiplier(v, tau * 10, 0.001)).isLessThan(1.10 * 4.2058);
        assertThat(NormalMixtureBoundary.multiplier(v, tau * 100, 0.001)).isLessThan(1.21 * 4.2058);
    }

    @Test
    void gaussianRandomWalksCrossTheBoundaryAtMostAlphaOfTheTimeHoweverLongTheyAreWatched() {
        // 2 000 walks of 500 standard normal steps under the null, checked after every step, alpha = 0.05.
        RandomGenerator random = new Well19937c(11);
        double alpha = 0.05;
        int steps = 500;
        double tau = NormalMixtureBoundary.tauTightestAt(1.0 / 100, alpha);
        double[] boundary = new double[steps + 1];
        for (int t = 1; t <= steps; t++) {
            boundary[t] = t * NormalMixtureBoundary.halfWidth(1.0 / t, tau, alpha);
        }
        int crossed = 0;
        for (int walk = 0; walk < 2_000; walk++) {
            double sum = 0;
            for (int t = 1; t <= steps; t++) {
                sum += random.nextGaussian();
                if (Math.abs(sum) > boundary[t]) {
                    crossed++;
                    break;
                }
            }
        }
        // A fixed 95 % interval checked after every step would be crossed by most of the walks.
        assertThat(crossed / 2_000.0).isLessThanOrEqualTo(alpha).isGreaterThan(alpha / 5);
    }

    @Test
    void zeroVarianceMeansNoWidth() {
        assertThat(NormalMixtureBoundary.halfWidth(0, 0.1, 0.01)).isZero();
        assertThat(NormalMixtureBoundary.logEvidence(0.2, 0, 0.1, 0.2)).isZero();
        assertThat(NormalMixtureBoundary.logEvidence(0.2, 0, 0.1, 0)).isInfinite();
    }
}
