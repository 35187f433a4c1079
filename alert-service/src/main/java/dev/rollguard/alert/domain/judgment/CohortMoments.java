package dev.rollguard.alert.domain.judgment;

/**
 * Sufficient statistics of one ratio metric over the clients of one cohort, for one flag and rollout stage. Each
 * client {@code i} contributes its stage-cumulative numerator {@code Y_i} (failed events, sum of reported values,
 * events slower than a threshold) and denominator {@code X_i} (events, reports); only clients with {@code X_i > 0}
 * count. The metric is the event-weighted ratio {@code R = sumY / sumX}, and because clients are the randomized unit
 * its variance comes from the spread of the clients' {@code (X_i, Y_i)} pairs by the delta method (Deng, Knoblich, Lu,
 * "Applying the Delta Method in Metric Analytics", KDD 2018), not from the event counts.
 *
 * @param clients clients with a positive denominator
 * @param sumY sum over clients of {@code Y_i}
 * @param sumX sum over clients of {@code X_i}
 * @param sumYY sum over clients of {@code Y_i^2}
 * @param sumXX sum over clients of {@code X_i^2}
 * @param sumXY sum over clients of {@code X_i * Y_i}
 */
public record CohortMoments(long clients, double sumY, double sumX, double sumYY, double sumXX, double sumXY) {

    public static final CohortMoments EMPTY = new CohortMoments(0, 0, 0, 0, 0, 0);

    public CohortMoments {
        if (clients < 0 || sumX < 0 || sumXX < 0 || sumYY < 0) {
            throw new IllegalArgumentException("negative client count or sum of squares: " + clients);
        }
    }

    /** The moments of one client with numerator {@code y} and denominator {@code x}. */
    public static CohortMoments ofClient(double y, double x) {
        if (x <= 0) {
            return EMPTY;
        }
        return new CohortMoments(1, y, x, y * y, x * x, x * y);
    }

    /** The moments of two disjoint sets of clients together. */
    public CohortMoments plus(CohortMoments other) {
        return new CohortMoments(
                clients + other.clients,
                sumY + other.sumY,
                sumX + other.sumX,
                sumYY + other.sumYY,
                sumXX + other.sumXX,
                sumXY + other.sumXY);
    }

    /**
     * These sums plus one window's increments of them. An increment is negative where metrics-ingest dropped clients
     * from a cohort's sample and retracted what they had added (its {@code guard.max-clients-per-cohort}), so only the
     * total is a set of clients. Totals cannot fall below zero; a retraction can leave a rounding residue there, and a
     * window lost on the way could leave a retraction without its additions: both are read as zero.
     */
    public CohortMoments plusIncrement(
            long clients, double sumY, double sumX, double sumYY, double sumXX, double sumXY) {
        return new CohortMoments(
                Math.max(0, this.clients + clients),
                this.sumY + sumY,
                Math.max(0.0, this.sumX + sumX),
                Math.max(0.0, this.sumYY + sumYY),
                Math.max(0.0, this.sumXX + sumXX),
                this.sumXY + sumXY);
    }

    /** True when no client has reported anything. */
    public boolean isEmpty() {
        return clients == 0 || sumX <= 0;
    }

    /** The metric: {@code sumY / sumX}; NaN when empty. */
    public double ratio() {
        return isEmpty() ? Double.NaN : sumY / sumX;
    }

    /**
     * Delta-method variance of {@link #ratio()} with the client as the unit:
     * {@code n / (n - 1) * sum_i (Y_i - R X_i)^2 / sumX^2}, which is Deng et al.'s
     * {@code (1/n) (s_Y^2 - 2 R s_XY + R^2 s_X^2) / mean(X)^2} with the sample (co)variances. It grows when the bad
     * events sit on few clients, as it must. NaN with fewer than two clients.
     */
    public double ratioVariance() {
        if (clients < 2 || sumX <= 0) {
            return Double.NaN;
        }
        double r = sumY / sumX;
        double squaredResiduals = Math.max(0.0, sumYY - 2 * r * sumXY + r * r * sumXX);
        return (double) clients / (clients - 1) * squaredResiduals / (sumX * sumX);
    }
}
