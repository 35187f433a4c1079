package dev.rollguard.alert.domain;

import dev.rollguard.alert.domain.judgment.FlagVerdict;
import dev.rollguard.schemas.event.Severity;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A validated rule, as the evaluator uses it.
 *
 * @param warning the warning level, or null
 * @param critical the critical level, or null (at least one level is set)
 * @param keepFiringFor how long the figure must stay healthy before a firing alert resolves
 * @param minSampleSize windows with fewer events behind the figure count as no data (per cohort for comparative
 *     rules)
 * @param confidence comparative rules only: confidence of the significance test, e.g. 0.99
 * @param version the rule's version in the table, one more at every change (annotations included): the states a rule
 *     starts carry it, so that ending the alerts of a former definition never ends those of a later one
 * @param createdAt when the rule was created, or null when not known: a rule deleted and created again with the same
 *     id starts at version 1 again, and this tells the two apart
 */
public record RuleDefinition(
        String id,
        String name,
        String metric,
        RuleComparator comparator,
        Level warning,
        Level critical,
        Duration keepFiringFor,
        long minSampleSize,
        NoDataPolicy noDataPolicy,
        ScopeSelector scope,
        double confidence,
        boolean enabled,
        Map<String, String> labels,
        Map<String, String> annotations,
        long version,
        Instant createdAt) {

    public RuleDefinition {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(metric, "metric");
        Objects.requireNonNull(comparator, "comparator");
        Objects.requireNonNull(keepFiringFor, "keepFiringFor");
        Objects.requireNonNull(noDataPolicy, "noDataPolicy");
        Objects.requireNonNull(scope, "scope");
        if (warning == null && critical == null) {
            throw new IllegalArgumentException("a rule needs a warning or a critical level");
        }
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
    }

    /**
     * Whether this rule as it is now ({@code now}, null: deleted or disabled) raises the alerts this definition raised:
     * everything but its annotations (and its version) unchanged. A rule changed otherwise has its announced alerts
     * resolved under this definition (reason "rule changed") and its states started afresh, as Prometheus does with a
     * rule it reloads changed: a level removed or a scope narrowed leaves no alert firing for ever, and a resolution
     * reaches the receivers its firing reached even when the new labels route elsewhere. A change of annotations alone
     * (a runbook link mended during an incident) keeps the alerts as they are.
     */
    public boolean raisesTheSameAlertsAs(RuleDefinition now) {
        return now != null
                && equals(new RuleDefinition(
                        now.id(),
                        now.name(),
                        now.metric(),
                        now.comparator(),
                        now.warning(),
                        now.critical(),
                        now.keepFiringFor(),
                        now.minSampleSize(),
                        now.noDataPolicy(),
                        now.scope(),
                        now.confidence(),
                        now.enabled(),
                        now.labels(),
                        annotations,
                        version,
                        now.createdAt()));
    }

    public boolean comparative() {
        return comparator == RuleComparator.WORSE_THAN_CONTROL;
    }

    /** The guard rule: judged by the guard's verdict on the flag's stage, not by one window's figure. */
    public boolean guard() {
        return comparator == RuleComparator.GUARD;
    }

    /** Configured levels, lowest severity first. */
    public List<Level> levels() {
        List<Level> levels = new ArrayList<>(2);
        if (warning != null) {
            levels.add(warning);
        }
        if (critical != null) {
            levels.add(critical);
        }
        return levels;
    }

    public Level level(Severity severity) {
        return severity == Severity.WARNING ? warning : critical;
    }

    /** The lowest configured severity: the one a no-data ALERT policy fires. */
    public Severity lowestSeverity() {
        return warning != null ? Severity.WARNING : Severity.CRITICAL;
    }

    /** What {@code observation} means for {@code level}. */
    public Verdict verdict(Level level, Observation observation) {
        if (guard()) {
            FlagVerdict verdict = observation.guard();
            if (verdict == null) {
                return Verdict.NO_DATA;
            }
            return switch (verdict.status()) {
                case NO_DATA, INSUFFICIENT_DATA -> Verdict.NO_DATA;
                case REGRESSION ->
                    level == critical && verdict.severity() != dev.rollguard.alert.domain.judgment.Severity.CRITICAL
                            ? Verdict.HEALTHY
                            : Verdict.BREACH;
                case HEALTHY, INCONCLUSIVE -> Verdict.HEALTHY;
            };
        }
        if (observation.value() == null || observation.sampleSize() < minSampleSize) {
            return Verdict.NO_DATA;
        }
        if (comparative()) {
            ComparisonResult comparison = observation.comparison();
            if (comparison == null
                    || comparison.treatmentSamples() < minSampleSize
                    || comparison.controlSamples() < minSampleSize) {
                return Verdict.NO_DATA;
            }
            boolean worse = comparison.difference() > level.threshold() && comparison.significantAt(confidence);
            return worse ? Verdict.BREACH : Verdict.HEALTHY;
        }
        return comparator.breaches(observation.value(), level.threshold()) ? Verdict.BREACH : Verdict.HEALTHY;
    }
}
