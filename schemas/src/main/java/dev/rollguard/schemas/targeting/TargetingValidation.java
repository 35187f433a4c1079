package dev.rollguard.schemas.targeting;

import dev.rollguard.schemas.bucketing.Bucketing;
import dev.rollguard.schemas.event.Constraint;
import dev.rollguard.schemas.event.ConstraintOperator;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.event.FlagVariant;
import dev.rollguard.schemas.event.Segment;
import dev.rollguard.schemas.event.TargetingRule;
import dev.rollguard.schemas.event.VariantWeight;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * What is wrong with a flag's targeting, before it is saved: each problem names where (a path into the flag JSON such
 * as {@code rules[2].constraints[1].values}) and what, naming the rule or segment. The flag-service answers them as an
 * HTTP 400 {@code INVALID_TARGETING}; the evaluator never throws on what this refuses (such a rule just never
 * matches), so a flag published without validation still evaluates.
 */
public final class TargetingValidation {

    /** Ids of rules and keys of segments: letters, digits, '-' and '_'. */
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    private TargetingValidation() {}

    /**
     * One problem.
     *
     * @param path where, e.g. {@code rules[2].constraints[1].values} or {@code variantWeights}
     * @param message what, naming the rule or segment, e.g. {@code rule ios-new-app: constraint 1 (appVersion
     *     SEMVER_GTE): '4.x' is not a semantic version (MAJOR.MINOR.PATCH)}
     */
    public record Problem(String path, String message) {}

    /** Every problem of the flag's segments, rules and variant weights; empty when it may be saved. */
    public static List<Problem> validate(FlagChangedEvent flag) {
        List<String> variants = flag.getVariants() == null
                ? List.of()
                : flag.getVariants().stream().map(FlagVariant::getName).toList();
        return validate(
                orEmpty(flag.getSegments()),
                orEmpty(flag.getRules()),
                orEmpty(flag.getVariantWeights()),
                variants,
                flag.getOffVariant());
    }

    /**
     * Every problem of targeting given as its parts.
     *
     * @param segments the segments the rules may reference
     * @param rules the ordered rules
     * @param weights the variant weights, empty for none
     * @param variants the names of the flag's variants; empty to skip the checks that rules and weights name one
     * @param offVariant the flag's off variant, which may not carry a weight
     */
    public static List<Problem> validate(
            List<Segment> segments,
            List<TargetingRule> rules,
            List<VariantWeight> weights,
            List<String> variants,
            String offVariant) {
        List<Problem> problems = new ArrayList<>();
        Set<String> segmentKeys = new HashSet<>();
        for (int i = 0; i < segments.size(); i++) {
            Segment segment = segments.get(i);
            String path = "segments[" + i + "]";
            if (segment.getKey() == null || !ID.matcher(segment.getKey()).matches()) {
                problems.add(new Problem(
                        path + ".key",
                        "segment " + i + ": key '" + segment.getKey()
                                + "' must be 1 to 64 letters, digits, '-' or '_'"));
            } else if (!segmentKeys.add(segment.getKey())) {
                problems.add(new Problem(path + ".key", "segment " + segment.getKey() + ": duplicate key"));
            }
            constraints(path, "segment " + segment.getKey(), orEmpty(segment.getConstraints()), problems);
        }
        Set<String> ruleIds = new HashSet<>();
        for (int i = 0; i < rules.size(); i++) {
            TargetingRule rule = rules.get(i);
            String path = "rules[" + i + "]";
            String owner = "rule " + (rule.getId() == null ? i : rule.getId());
            if (rule.getId() == null || !ID.matcher(rule.getId()).matches()) {
                problems.add(new Problem(
                        path + ".id",
                        "rule " + i + ": id '" + rule.getId() + "' must be 1 to 64 letters, digits, '-' or '_'"));
            } else if (!ruleIds.add(rule.getId())) {
                problems.add(new Problem(path + ".id", owner + ": duplicate rule id"));
            }
            List<String> referenced = orEmpty(rule.getSegments());
            for (int j = 0; j < referenced.size(); j++) {
                if (!segmentKeys.contains(referenced.get(j))) {
                    problems.add(new Problem(
                            path + ".segments[" + j + "]", owner + ": unknown segment '" + referenced.get(j) + "'"));
                }
            }
            constraints(path, owner, orEmpty(rule.getConstraints()), problems);
            if (rule.getVariant() != null) {
                if (!variants.isEmpty() && !variants.contains(rule.getVariant())) {
                    problems.add(new Problem(
                            path + ".variant",
                            owner + ": unknown variant '" + rule.getVariant() + "' (the flag has " + variants + ")"));
                }
            } else if (rule.getRolloutBasisPoints() < 0 || rule.getRolloutBasisPoints() > Bucketing.BUCKETS) {
                problems.add(new Problem(
                        path + ".rolloutPercentage",
                        owner + ": the share must be within 0 and 100 %, was "
                                + Bucketing.percentage(rule.getRolloutBasisPoints()) + " %"));
            }
        }
        weights(weights, variants, offVariant, problems);
        return problems;
    }

    /** Every problem of a segment on its own (before it is saved), with paths relative to the segment. */
    public static List<Problem> validate(Segment segment) {
        List<Problem> problems = new ArrayList<>();
        if (segment.getKey() == null || !ID.matcher(segment.getKey()).matches()) {
            problems.add(new Problem(
                    "key", "segment key '" + segment.getKey() + "' must be 1 to 64 letters, digits, '-' or '_'"));
        }
        constraints("", "segment " + segment.getKey(), orEmpty(segment.getConstraints()), problems);
        return problems;
    }

    private static void constraints(String path, String owner, List<Constraint> constraints, List<Problem> problems) {
        for (int j = 0; j < constraints.size(); j++) {
            Constraint constraint = constraints.get(j);
            String at = (path.isEmpty() ? "" : path + ".") + "constraints[" + j + "]";
            String which = owner + ": constraint " + j + " (" + constraint.getAttribute() + " "
                    + constraint.getOperator() + ")";
            if (constraint.getAttribute() == null || constraint.getAttribute().isBlank()) {
                problems.add(new Problem(at + ".attribute", which + ": the attribute is missing"));
            }
            ConstraintOperator operator = constraint.getOperator();
            if (operator == null) {
                problems.add(new Problem(at + ".operator", which + ": the operator is missing"));
                continue;
            }
            List<String> values = orEmpty(constraint.getValues());
            if (!CompiledConstraint.noNull(values)) {
                problems.add(new Problem(at + ".values", which + ": a value is null"));
                continue;
            }
            boolean single =
                    switch (operator) {
                        case IN, NOT_IN, STR_STARTS_WITH, STR_ENDS_WITH, STR_CONTAINS, MATCHES -> false;
                        default -> true;
                    };
            if (single && values.size() != 1) {
                problems.add(new Problem(at + ".values", which + ": takes exactly one value, got " + values.size()));
                continue;
            }
            if (values.isEmpty()) {
                problems.add(new Problem(at + ".values", which + ": takes at least one value, got none"));
                continue;
            }
            for (String value : values) {
                String problem = valueProblem(operator, value);
                if (problem != null) {
                    problems.add(new Problem(at + ".values", which + ": " + problem));
                }
            }
        }
    }

    private static String valueProblem(ConstraintOperator operator, String value) {
        switch (operator) {
            case MATCHES -> {
                if (value.length() > CompiledConstraint.MAX_PATTERN_LENGTH) {
                    return "the regular expression is " + value.length() + " characters long, more than "
                            + CompiledConstraint.MAX_PATTERN_LENGTH;
                }
                try {
                    Pattern.compile(value);
                    return null;
                } catch (PatternSyntaxException e) {
                    return "'" + value + "' is not a valid regular expression: " + e.getDescription();
                }
            }
            case NUM_EQ, NUM_LT, NUM_LTE, NUM_GT, NUM_GTE -> {
                return Double.isNaN(CompiledConstraint.parseNumber(value)) ? "'" + value + "' is not a number" : null;
            }
            case SEMVER_EQ, SEMVER_LT, SEMVER_LTE, SEMVER_GT, SEMVER_GTE -> {
                return SemanticVersion.parse(value) == null
                        ? "'" + value + "' is not a semantic version (MAJOR.MINOR.PATCH[-pre-release][+build])"
                        : null;
            }
            case DATE_BEFORE, DATE_AFTER -> {
                return CompiledConstraint.parseInstant(value) == null
                        ? "'" + value + "' is not an RFC 3339 date-time with an offset (2026-03-01T12:00:00Z)"
                        : null;
            }
            default -> {
                return null;
            }
        }
    }

    private static void weights(
            List<VariantWeight> weights, List<String> variants, String offVariant, List<Problem> problems) {
        if (weights.isEmpty()) {
            return;
        }
        long total = 0;
        Set<String> seen = new HashSet<>();
        for (int k = 0; k < weights.size(); k++) {
            VariantWeight weight = weights.get(k);
            String at = "variantWeights[" + k + "]";
            String variant = weight.getVariant();
            if (variant == null) {
                problems.add(new Problem(at + ".variant", "weight " + k + ": the variant is missing"));
            } else if (variant.equals(offVariant)) {
                problems.add(new Problem(
                        at + ".variant",
                        "weight " + k + ": '" + variant
                                + "' is the off variant (the control), which cannot carry a weight"));
            } else if (!variants.isEmpty() && !variants.contains(variant)) {
                problems.add(new Problem(
                        at + ".variant",
                        "weight " + k + ": unknown variant '" + variant + "' (the flag has " + variants + ")"));
            } else if (!seen.add(variant)) {
                problems.add(new Problem(at + ".variant", "weight " + k + ": variant '" + variant + "' twice"));
            }
            if (weight.getWeight() < 0 || weight.getWeight() > Bucketing.BUCKETS) {
                problems.add(new Problem(
                        at + ".weight",
                        "weight " + k + ": must be within 0 and 100 %, was " + Bucketing.percentage(weight.getWeight())
                                + " %"));
            }
            total += weight.getWeight();
        }
        if (total != Bucketing.BUCKETS) {
            problems.add(new Problem(
                    "variantWeights", "the weights sum to " + Bucketing.percentage((int) total) + " %, not 100 %"));
        }
    }

    private static <T> List<T> orEmpty(List<T> list) {
        return list == null ? List.of() : list;
    }
}
