package dev.rollguard.alert.domain.judgment;

import java.util.List;
import java.util.Objects;

/**
 * One guarded metric: what it measures, which way is worse and how much worse than control the treatment may be.
 *
 * <p>The treatment regresses when it is worse than {@code (1 + relativeTolerance) * control + absoluteTolerance}
 * (for {@link Direction#HIGHER_IS_WORSE}; {@code (1 - relativeTolerance) * control - absoluteTolerance} for lower is
 * worse). With a control value of zero only the absolute tolerance is left, so a rise from 0 % to 5 % failures is a
 * regression as soon as enough distinct clients show it.
 *
 * @param name stable id, e.g. {@code failure}
 * @param label words for people, e.g. {@code failure rate}
 * @param kind proportion, mean or tail ladder
 * @param direction which way is worse
 * @param unit how values (and ladder thresholds) are written
 * @param relativeTolerance tolerated relative worsening, e.g. 0.20
 * @param absoluteTolerance tolerated absolute worsening in the metric's units, added to the relative one
 * @param minimumClients clients per cohort below which the metric is not judged
 * @param minimumDenominator events (or reports) per cohort below which the metric is not judged
 * @param mixtureScaleFloor smallest mixture scale {@code tau} of the confidence sequence, in the metric's units (see
 *     {@link MetricComparison})
 * @param ladder ladder thresholds in ascending order, for {@link MetricKind#TAIL_LADDER}; empty otherwise
 * @param tailShare the tail quantile of the ladder's rung choice, e.g. 0.05 for the control's p95 (p5 when lower is
 *     worse)
 */
public record MetricSpec(
        String name,
        String label,
        MetricKind kind,
        Direction direction,
        MetricUnit unit,
        double relativeTolerance,
        double absoluteTolerance,
        long minimumClients,
        double minimumDenominator,
        double mixtureScaleFloor,
        List<Double> ladder,
        double tailShare) {

    public MetricSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(label, "label");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(direction, "direction");
        Objects.requireNonNull(unit, "unit");
        ladder = List.copyOf(ladder);
        if (relativeTolerance < 0 || relativeTolerance >= 1 && direction == Direction.LOWER_IS_WORSE) {
            throw new IllegalArgumentException(name + ": relative tolerance out of range: " + relativeTolerance);
        }
        if (absoluteTolerance < 0 || !(mixtureScaleFloor > 0)) {
            throw new IllegalArgumentException(name + ": negative tolerance or non-positive mixture scale floor");
        }
        if (minimumClients < 2) {
            throw new IllegalArgumentException(name + ": a variance over clients needs at least 2 clients");
        }
        if (kind == MetricKind.TAIL_LADDER) {
            if (ladder.isEmpty() || !(tailShare > 0 && tailShare < 1)) {
                throw new IllegalArgumentException(
                        name + ": a tail ladder needs thresholds and a tail share in (0, 1)");
            }
            for (int k = 1; k < ladder.size(); k++) {
                if (!(ladder.get(k) > ladder.get(k - 1))) {
                    throw new IllegalArgumentException(name + ": ladder thresholds must ascend");
                }
            }
        } else if (!ladder.isEmpty()) {
            throw new IllegalArgumentException(name + ": only a tail ladder has thresholds");
        }
    }

    /** A failure-like proportion, higher is worse, with the guard pack's defaults. */
    public static MetricSpec proportion(String name, String label) {
        return new MetricSpec(
                name,
                label,
                MetricKind.PROPORTION,
                Direction.HIGHER_IS_WORSE,
                MetricUnit.FRACTION,
                GuardPack.RELATIVE_TOLERANCE,
                GuardPack.PROPORTION_ABSOLUTE_TOLERANCE,
                GuardPack.MINIMUM_CLIENTS,
                GuardPack.MINIMUM_EVENTS,
                GuardPack.PROPORTION_MIXTURE_SCALE_FLOOR,
                List.of(),
                0);
    }

    /** A mean of reported values, higher is worse, with the guard pack's defaults. */
    public static MetricSpec mean(String name, String label, MetricUnit unit, double absoluteTolerance) {
        return new MetricSpec(
                name,
                label,
                MetricKind.MEAN,
                Direction.HIGHER_IS_WORSE,
                unit,
                GuardPack.RELATIVE_TOLERANCE,
                absoluteTolerance,
                GuardPack.MINIMUM_CLIENTS,
                GuardPack.MINIMUM_EVENTS,
                Math.max(absoluteTolerance, GuardPack.MEAN_MIXTURE_SCALE_FLOOR),
                List.of(),
                0);
    }

    /** A tail ladder with the guard pack's defaults: the rung at the control's p95 (p5 when lower is worse). */
    public static MetricSpec tailLadder(
            String name, String label, Direction direction, MetricUnit unit, List<Double> ladder) {
        return new MetricSpec(
                name,
                label,
                MetricKind.TAIL_LADDER,
                direction,
                unit,
                GuardPack.RELATIVE_TOLERANCE,
                GuardPack.TAIL_ABSOLUTE_TOLERANCE,
                GuardPack.MINIMUM_CLIENTS,
                GuardPack.MINIMUM_EVENTS,
                GuardPack.TAIL_MIXTURE_SCALE_FLOOR,
                ladder,
                GuardPack.TAIL_SHARE);
    }

    /** This metric with other tolerances. */
    public MetricSpec withTolerances(double relative, double absolute) {
        return new MetricSpec(
                name,
                label,
                kind,
                direction,
                unit,
                relative,
                absolute,
                minimumClients,
                minimumDenominator,
                mixtureScaleFloor,
                ladder,
                tailShare);
    }

    /** This metric with other minimum sample sizes per cohort. */
    public MetricSpec withMinimums(long clients, double denominator) {
        return new MetricSpec(
                name,
                label,
                kind,
                direction,
                unit,
                relativeTolerance,
                absoluteTolerance,
                clients,
                denominator,
                mixtureScaleFloor,
                ladder,
                tailShare);
    }

    /** The worst the treatment may be given the control value: the regression threshold. */
    double tolerated(double control) {
        return direction == Direction.HIGHER_IS_WORSE || kind == MetricKind.TAIL_LADDER
                ? (1 + relativeTolerance) * control + absoluteTolerance
                : (1 - relativeTolerance) * control - absoluteTolerance;
    }
}
