package dev.rollguard.alert.domain.judgment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.apache.commons.math3.random.MersenneTwister;
import org.apache.commons.math3.random.RandomGenerator;
import org.apache.commons.math3.stat.correlation.Covariance;
import org.apache.commons.math3.stat.descriptive.SummaryStatistics;
import org.apache.commons.math3.stat.descriptive.moment.Variance;
import org.junit.jupiter.api.Test;

/** The client-level delta-method variance against a hand computation, Deng et al.'s formula and a simulation. */
class CohortMomentsTest {

    /** Five clients (failed events, events): 6 failures in 60 events, R = 0.1. */
    private static final double[][] CLIENTS = {{1, 10}, {0, 5}, {3, 10}, {0, 15}, {2, 20}};

    private static CohortMoments moments(double[][] clients) {
        CohortMoments sum = CohortMoments.EMPTY;
        for (double[] c : clients) {
            sum = sum.plus(CohortMoments.ofClient(c[0], c[1]));
        }
        return sum;
    }

    @Test
    void varianceMatchesTheHandComputation() {
        // Residuals Y_i - R X_i: 0, -0.5, 2, -1.5, 0; squares sum to 6.5; n/(n-1) * 6.5 / 60^2 = 0.00225694...
        CohortMoments m = moments(CLIENTS);
        assertThat(m.clients()).isEqualTo(5);
        assertThat(m.ratio()).isCloseTo(0.1, within(1e-15));
        assertThat(m.ratioVariance()).isCloseTo(5.0 / 4 * 6.5 / 3600, within(1e-15));
    }

    @Test
    void negativeIncrementsRetractClientsFromTheTotal() {
        // A window that drops clients {3, 10} and {0, 15} from the sample (their moments negated) and adds one more
        // event to client {1, 10}: the total is that of the remaining clients, {2, 11}, {0, 5} and {2, 20}.
        CohortMoments all = moments(CLIENTS);
        double[] y = {3, 0};
        double[] x = {10, 15};
        long clients = 0;
        double sumY = 0, sumX = 0, sumYY = 0, sumXX = 0, sumXY = 0;
        for (int i = 0; i < 2; i++) {
            clients--;
            sumY -= y[i];
            sumX -= x[i];
            sumYY -= y[i] * y[i];
            sumXX -= x[i] * x[i];
            sumXY -= x[i] * y[i];
        }
        // Client {1, 10} becomes {2, 11}: the increments of Y^2, X^2 and XY are 2*1*1+1, 2*10*1+1 and 10*1+1*1+1.
        CohortMoments total = all.plusIncrement(clients, sumY + 1, sumX + 1, sumYY + 3, sumXX + 21, sumXY + 12);
        CohortMoments direct = moments(new double[][] {{2, 11}, {0, 5}, {2, 20}});
        assertThat(total).isEqualTo(direct);
        assertThat(total.ratioVariance()).isCloseTo(direct.ratioVariance(), within(1e-15));
    }

    @Test
    void aRetractionBelowZeroReadsAsNoClients() {
        CohortMoments one = CohortMoments.ofClient(0.1, 1);
        CohortMoments total = one.plusIncrement(-1, -0.1, -1, -0.0100001, -1, -0.1);
        assertThat(total.clients()).isZero();
        assertThat(total.sumYY()).isZero();
        assertThat(total.isEmpty()).isTrue();
    }

    @Test
    void varianceIsDengEtAlsFormulaWithSampleMoments() {
        // Var(mean Y / mean X) = (1/n) (s_Y^2 / mu_X^2 - 2 mu_Y s_XY / mu_X^3 + mu_Y^2 s_X^2 / mu_X^4), computed
        // independently with Commons Math's sample variance and covariance of the clients' pairs.
        double[] y = new double[CLIENTS.length];
        double[] x = new double[CLIENTS.length];
        for (int i = 0; i < CLIENTS.length; i++) {
            y[i] = CLIENTS[i][0];
            x[i] = CLIENTS[i][1];
        }
        int n = y.length;
        double muY = 6.0 / n;
        double muX = 60.0 / n;
        double sY = new Variance().evaluate(y);
        double sX = new Variance().evaluate(x);
        double sXY = new Covariance().covariance(x, y);
        double deng = (sY / (muX * muX) - 2 * muY * sXY / Math.pow(muX, 3) + muY * muY * sX / Math.pow(muX, 4)) / n;
        assertThat(moments(CLIENTS).ratioVariance()).isCloseTo(deng, within(1e-15));
    }

    @Test
    void varianceMatchesTheSpreadOfRepeatedCohorts() {
        // 300 clients with gamma-distributed event counts and client-specific failure rates (clustered failures):
        // the delta-method variance of one cohort predicts the variance of R over 2 000 independent cohorts.
        RandomGenerator random = new MersenneTwister(7);
        SummaryStatistics ratios = new SummaryStatistics();
        SummaryStatistics predicted = new SummaryStatistics();
        for (int rep = 0; rep < 2_000; rep++) {
            CohortMoments m = CohortMoments.EMPTY;
            for (int i = 0; i < 300; i++) {
                int events = 1 + (int) (-20 * Math.log(random.nextDouble()));
                double rate = random.nextDouble() < 0.05 ? 0.5 : 0.01;
                int failures = 0;
                for (int e = 0; e < events; e++) {
                    failures += random.nextDouble() < rate ? 1 : 0;
                }
                m = m.plus(CohortMoments.ofClient(failures, events));
            }
            ratios.addValue(m.ratio());
            predicted.addValue(m.ratioVariance());
        }
        assertThat(predicted.getMean()).isCloseTo(ratios.getVariance(), within(0.1 * ratios.getVariance()));
    }

    @Test
    void failuresOnOneClientWeighMoreThanTheSameFailuresSpreadOut() {
        CohortMoments spread = CohortMoments.EMPTY;
        CohortMoments clustered = CohortMoments.ofClient(20, 20);
        for (int i = 0; i < 20; i++) {
            spread = spread.plus(CohortMoments.ofClient(1, 20));
        }
        for (int i = 0; i < 19; i++) {
            clustered = clustered.plus(CohortMoments.ofClient(0, 20));
        }
        assertThat(clustered.ratio()).isEqualTo(spread.ratio());
        assertThat(spread.ratioVariance()).isCloseTo(0, within(1e-18));
        assertThat(clustered.ratioVariance()).isGreaterThan(1e-3);
    }

    @Test
    void emptyAndSingleClientCohortsHaveNoVariance() {
        assertThat(CohortMoments.EMPTY.ratio()).isNaN();
        assertThat(CohortMoments.ofClient(1, 0)).isEqualTo(CohortMoments.EMPTY);
        assertThat(CohortMoments.ofClient(1, 4).ratioVariance()).isNaN();
        assertThat(CohortMoments.ofClient(0, 4)
                        .plus(CohortMoments.ofClient(0, 9))
                        .ratioVariance())
                .isZero();
    }
}
