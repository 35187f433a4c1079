package dev.rollguard.alert.service;

import dev.rollguard.alert.api.RuleRequest;
import dev.rollguard.alert.domain.RuleComparator;
import dev.rollguard.alert.mapping.RuleMapper;
import dev.rollguard.alert.mapping.WindowFigures;
import dev.rollguard.alert.service.ValidationFailedException.Violation;
import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.ScopeType;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Checks what Bean Validation cannot: that the metric exists, that the levels fit the comparator and each other, and
 * that the scope criteria fit the scope types.
 */
public final class RuleValidator {

    /** The metric name of the guard rule. */
    public static final String GUARD_METRIC = "guard";

    private RuleValidator() {}

    /** @throws ValidationFailedException listing every problem */
    public static void validate(RuleRequest rule) {
        List<Violation> violations = new ArrayList<>();
        boolean comparative = rule.comparator().comparesCohorts();
        boolean guard = rule.comparator() == RuleComparator.GUARD;
        if (guard) {
            if (!GUARD_METRIC.equals(rule.metric())) {
                violations.add(new Violation(
                        "metric", "the guard judges every guard metric at once: its metric is '" + GUARD_METRIC + "'"));
            }
        } else if (!WindowFigures.isMetric(rule.metric())) {
            violations.add(new Violation(
                    "metric",
                    "unknown metric '" + rule.metric() + "'; one of " + new TreeSet<>(WindowFigures.metrics())));
        } else if (comparative && !WindowFigures.proportionMetrics().contains(rule.metric())) {
            violations.add(new Violation(
                    "metric",
                    "a comparative rule needs a proportion; one of "
                            + new TreeSet<>(WindowFigures.proportionMetrics())));
        }
        if (rule.warning() == null && rule.critical() == null) {
            violations.add(new Violation("critical", "a rule needs a warning or a critical level"));
        }
        checkLevel(rule, "warning", rule.warning(), comparative, violations);
        checkLevel(rule, "critical", rule.critical(), comparative, violations);
        if (rule.warning() != null
                && rule.critical() != null
                && rule.warning().threshold() != null
                && rule.critical().threshold() != null) {
            double warning = rule.warning().threshold();
            double critical = rule.critical().threshold();
            boolean higherIsWorse = rule.comparator().higherIsWorse();
            if (guard && warning != critical) {
                // FlagJudgment tests every metric at one tolerance; its levels differ by confidence (the warning
                // alpha 5 %, the critical one the rule's), so a second tolerance would silently go unused.
                violations.add(new Violation(
                        "warning.threshold",
                        "must equal the critical threshold (" + critical + ") for the guard: both levels test one"
                                + " tolerance, the warning one at 95 % confidence and the critical one at the rule's"));
            } else if (higherIsWorse ? critical < warning : critical > warning) {
                violations.add(new Violation(
                        "critical.threshold",
                        "must be " + (higherIsWorse ? "at least" : "at most") + " the warning threshold (" + warning
                                + ") for " + rule.comparator()));
            }
        }
        checkScope(rule, comparative, violations);
        if (!violations.isEmpty()) {
            throw new ValidationFailedException(violations);
        }
    }

    private static void checkLevel(
            RuleRequest rule,
            String field,
            RuleRequest.LevelRequest level,
            boolean comparative,
            List<Violation> violations) {
        if (level == null || level.threshold() == null) {
            return;
        }
        double threshold = level.threshold();
        if (!Double.isFinite(threshold)) {
            violations.add(new Violation(field + ".threshold", "must be a finite number"));
        } else if (rule.comparator() == RuleComparator.GUARD && (threshold < 0 || threshold > 10)) {
            violations.add(new Violation(
                    field + ".threshold",
                    "the guard's threshold is a relative tolerance in [0, 10], e.g. 0.2 for 20 %"));
        } else if (rule.comparator() == RuleComparator.WORSE_THAN_CONTROL && (threshold < 0 || threshold >= 1)) {
            violations.add(new Violation(
                    field + ".threshold", "a comparative margin is a difference of rates in [0, 1), e.g. 0.02"));
        } else if (!comparative
                && rule.metric() != null
                && rule.metric().endsWith("Rate")
                && (threshold < 0 || threshold > 1)) {
            violations.add(new Violation(field + ".threshold", "rates are fractions in [0, 1], e.g. 0.95 for 95 %"));
        }
    }

    private static void checkScope(RuleRequest rule, boolean comparative, List<Violation> violations) {
        Set<ScopeType> types = RuleMapper.scopeTypes(rule);
        RuleRequest.ScopeRequest scope = rule.scope();
        if (comparative && !types.equals(Set.of(ScopeType.FLAG_COHORT))) {
            violations.add(new Violation("scope.types", "a comparative rule watches FLAG_COHORT windows only"));
        }
        if (scope == null) {
            return;
        }
        if (comparative && scope.cohort() == Cohort.CONTROL) {
            violations.add(new Violation("scope.cohort", "a comparative rule judges the TREATMENT cohort"));
        }
        if ((scope.flagKey() != null || scope.cohort() != null) && !types.contains(ScopeType.FLAG_COHORT)) {
            violations.add(new Violation("scope", "flagKey and cohort need FLAG_COHORT among the scope types"));
        }
        if (scope.table() != null && !types.contains(ScopeType.TABLE)) {
            violations.add(new Violation("scope.table", "needs TABLE among the scope types"));
        }
        if (scope.platform() != null && !types.contains(ScopeType.PLATFORM)) {
            violations.add(new Violation("scope.platform", "needs PLATFORM among the scope types"));
        }
    }
}
