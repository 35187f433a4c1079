package dev.rollguard.alert.service;

import dev.rollguard.alert.domain.RuleDefinition;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The enabled rules as the evaluator sees them: an immutable snapshot replaced whenever rules change, so evaluation
 * never queries the database for rules.
 */
@ApplicationScoped
public class RuleBook {

    private record Snapshot(
            List<RuleDefinition> threshold,
            List<RuleDefinition> comparative,
            List<RuleDefinition> guard,
            Map<String, RuleDefinition> byId,
            Map<String, RuleDefinition> known,
            Instant readAt) {}

    private volatile Snapshot snapshot = new Snapshot(List.of(), List.of(), List.of(), Map.of(), Map.of(), null);

    /** Every rule, enabled or not, as read from the table at {@code readAt}. */
    public void replace(List<RuleDefinition> rules, Instant readAt) {
        List<RuleDefinition> enabled =
                rules.stream().filter(RuleDefinition::enabled).toList();
        snapshot = new Snapshot(
                enabled.stream().filter(r -> !r.comparator().comparesCohorts()).toList(),
                enabled.stream().filter(RuleDefinition::comparative).toList(),
                enabled.stream().filter(RuleDefinition::guard).toList(),
                enabled.stream().collect(Collectors.toUnmodifiableMap(RuleDefinition::id, Function.identity())),
                rules.stream().collect(Collectors.toUnmodifiableMap(RuleDefinition::id, Function.identity())),
                readAt);
    }

    /** A rule, enabled or disabled, or null when there is none. */
    public RuleDefinition known(String id) {
        return snapshot.known().get(id);
    }

    /** When the table was read for the rules held now (null: never read). */
    public Instant readAt() {
        return snapshot.readAt();
    }

    public List<RuleDefinition> thresholdRules() {
        return snapshot.threshold();
    }

    public List<RuleDefinition> comparativeRules() {
        return snapshot.comparative();
    }

    /** The enabled guard rules (the default pack has one). */
    public List<RuleDefinition> guardRules() {
        return snapshot.guard();
    }

    /** An enabled rule, or null. */
    public RuleDefinition rule(String id) {
        return snapshot.byId().get(id);
    }

    public int size() {
        return snapshot.byId().size();
    }
}
