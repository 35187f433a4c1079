package dev.rollguard.schemas.targeting;

import dev.rollguard.schemas.bucketing.Bucketing;
import dev.rollguard.schemas.event.Constraint;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.event.Segment;
import dev.rollguard.schemas.event.TargetingRule;
import dev.rollguard.schemas.event.VariantWeight;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A flag's rules, segments and variant weights compiled for evaluation. Compiled once per flag object (a new
 * version is a new object) and kept while the flag is reachable: the cache holds flags weakly and by identity, as
 * two versions of a flag, or a stored flag and a draft of it, may be equal in key and version yet differ in rules.
 */
final class CompiledFlag {

    private static final ReferenceQueue<FlagChangedEvent> COLLECTED = new ReferenceQueue<>();
    private static final Map<Key, CompiledFlag> CACHE = new ConcurrentHashMap<>();

    /** One compiled rule: every constraint of its segments and its own, cheapest first. */
    record Rule(String id, CompiledConstraint[] constraints, boolean matchable, String variant, int basisPoints) {

        boolean matches(Subject subject) {
            if (!matchable) {
                return false;
            }
            for (CompiledConstraint constraint : constraints) {
                if (!constraint.matches(subject)) {
                    return false;
                }
            }
            return true;
        }
    }

    private final List<TargetingRule> rulesSource;
    private final List<Segment> segmentsSource;
    private final List<VariantWeight> weightsSource;
    final Rule[] rules;
    /** The attributes the rules read, by the slot their constraints read them from. */
    final String[] attributes;
    /** Variants of a valid weighted split in their listed order, or null when the flag has none. */
    final String[] weightedVariants;
    /** Exclusive upper variant bucket of each weighted variant. */
    final int[] upperBounds;

    private CompiledFlag(FlagChangedEvent flag) {
        rulesSource = flag.getRules();
        segmentsSource = flag.getSegments();
        weightsSource = flag.getVariantWeights();
        Map<String, Integer> slots = new LinkedHashMap<>();
        Map<String, CompiledConstraint[]> segments = new HashMap<>();
        for (Segment segment : orEmpty(segmentsSource)) {
            segments.putIfAbsent(segment.getKey(), compile(segment.getConstraints(), slots));
        }
        List<TargetingRule> rules = orEmpty(rulesSource);
        this.rules = new Rule[rules.size()];
        for (int i = 0; i < rules.size(); i++) {
            TargetingRule rule = rules.get(i);
            List<CompiledConstraint> all = new ArrayList<>();
            boolean matchable = true;
            for (String key : orEmpty(rule.getSegments())) {
                CompiledConstraint[] segment = segments.get(key);
                if (segment == null) {
                    matchable = false; // an unknown segment matches nobody
                } else {
                    all.addAll(List.of(segment));
                }
            }
            all.addAll(List.of(compile(rule.getConstraints(), slots)));
            all.sort(Comparator.comparingInt(CompiledConstraint::cost));
            this.rules[i] = new Rule(
                    rule.getId(),
                    all.toArray(CompiledConstraint[]::new),
                    matchable,
                    rule.getVariant(),
                    rule.getRolloutBasisPoints());
        }
        this.attributes = slots.keySet().toArray(String[]::new);
        List<VariantWeight> weights = orEmpty(weightsSource);
        int total = 0;
        boolean valid = !weights.isEmpty();
        int[] bounds = new int[weights.size()];
        String[] variants = new String[weights.size()];
        for (int i = 0; i < weights.size() && valid; i++) {
            VariantWeight weight = weights.get(i);
            valid = weight.getVariant() != null && weight.getWeight() >= 0;
            total += weight.getWeight();
            bounds[i] = total;
            variants[i] = weight.getVariant();
        }
        // Weights that do not sum to 100 % (refused by TargetingValidation) are ignored: the treatment variant serves.
        valid = valid && total == Bucketing.BUCKETS;
        this.weightedVariants = valid ? variants : null;
        this.upperBounds = valid ? bounds : null;
    }

    /** The compiled form of {@code flag}, compiled on first use. */
    static CompiledFlag of(FlagChangedEvent flag) {
        expungeCollected();
        CompiledFlag compiled = CACHE.get(new Lookup(flag));
        if (compiled != null && compiled.compiledFrom(flag)) {
            return compiled;
        }
        compiled = new CompiledFlag(flag);
        CACHE.put(new WeakKey(flag, COLLECTED), compiled);
        return compiled;
    }

    /** Number of flags held compiled (for tests). */
    static int cached() {
        expungeCollected();
        return CACHE.size();
    }

    /** The lists were replaced since compiling (an Avro record is mutable): compile again. */
    private boolean compiledFrom(FlagChangedEvent flag) {
        return rulesSource == flag.getRules()
                && segmentsSource == flag.getSegments()
                && weightsSource == flag.getVariantWeights();
    }

    /** The weighted variant for a variant bucket, or null when the flag has no (valid) weighted split. */
    String weightedVariant(int variantBucket) {
        if (weightedVariants == null) {
            return null;
        }
        for (int i = 0; i < upperBounds.length; i++) {
            if (variantBucket < upperBounds[i]) {
                return weightedVariants[i];
            }
        }
        return weightedVariants[weightedVariants.length - 1];
    }

    /** Compiles constraints, giving each distinct attribute a slot of the {@link Subject}. */
    private static CompiledConstraint[] compile(List<Constraint> constraints, Map<String, Integer> slots) {
        return orEmpty(constraints).stream()
                .map(c -> CompiledConstraint.compile(
                        c, c.getAttribute() == null ? 0 : slots.computeIfAbsent(c.getAttribute(), a -> slots.size())))
                .toArray(CompiledConstraint[]::new);
    }

    private static <T> List<T> orEmpty(List<T> list) {
        return list == null ? List.of() : list;
    }

    private static void expungeCollected() {
        for (Object gone; (gone = COLLECTED.poll()) != null; ) {
            CACHE.remove(gone);
        }
    }

    /** A cache key: the flag by identity. */
    private interface Key {
        FlagChangedEvent flag();
    }

    private record Lookup(FlagChangedEvent flag) implements Key {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key other && other.flag() == flag;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(flag);
        }
    }

    private static final class WeakKey extends WeakReference<FlagChangedEvent> implements Key {
        private final int hash;

        WeakKey(FlagChangedEvent flag, ReferenceQueue<FlagChangedEvent> queue) {
            super(flag, queue);
            this.hash = System.identityHashCode(flag);
        }

        @Override
        public FlagChangedEvent flag() {
            return get();
        }

        @Override
        public boolean equals(Object o) {
            if (this == o) {
                return true;
            }
            FlagChangedEvent flag = get();
            return flag != null && o instanceof Key other && other.flag() == flag;
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }
}
