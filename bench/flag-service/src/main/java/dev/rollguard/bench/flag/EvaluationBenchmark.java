package dev.rollguard.bench.flag;

import dev.rollguard.schemas.event.Constraint;
import dev.rollguard.schemas.event.ConstraintOperator;
import dev.rollguard.schemas.event.FlagChangeType;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.event.FlagValueType;
import dev.rollguard.schemas.event.FlagVariant;
import dev.rollguard.schemas.event.GuardAction;
import dev.rollguard.schemas.event.GuardPolicy;
import dev.rollguard.schemas.event.TargetingRule;
import dev.rollguard.schemas.event.VariantWeight;
import dev.rollguard.schemas.targeting.Evaluation;
import dev.rollguard.schemas.targeting.EvaluationContext;
import dev.rollguard.schemas.targeting.FlagEvaluator;
import dev.rollguard.schemas.targeting.IndexedList;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One flag evaluated in-process on one thread, as the flag-service does per request: the shared evaluator over a
 * snapshot map, for a percentage rollout (hash + bucket), a subject on a 1000-entry allow-list, a child flag whose
 * parent is itself a percentage rollout (two hashes), and a flag with 10 targeting rules of 5 constraints each (mixed
 * operators: IN, NOT_IN, semantic versions, string suffix, regular expressions, numbers, dates) over 4096 contexts of
 * which some match a rule and some none, and a context that fails every rule on its last constraints.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Threads(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class EvaluationBenchmark {

    private final Map<String, FlagChangedEvent> flags = new HashMap<>();
    private FlagChangedEvent split;
    private FlagChangedEvent listed;
    private FlagChangedEvent child;
    private FlagChangedEvent targeted;
    private String[] subjects;
    private EvaluationContext[] contexts;
    private EvaluationContext nearMiss;
    private int next;

    @Setup
    public void setUp() {
        List<String> allow = IntStream.range(0, 1000)
                .mapToObj(i -> "internal-" + i + "@example.com")
                .toList();
        split = flag("offline-recording", 1000, List.of(), null);
        // As the flag-service's snapshot and metrics-ingest's directory hold them: contains() is a hash lookup.
        listed = flag("internal-tools", 0, IndexedList.of(allow), null);
        flag("replication", 5000, List.of(), null);
        child = flag("replication.table.entries", 2000, List.of(), "replication");
        subjects = IntStream.range(0, 4096).mapToObj(i -> "user-" + i).toArray(String[]::new);
        targeted = flag("targeted", 1000, List.of(), null);
        targeted.setVariantWeights(List.of(new VariantWeight("on", 5000), new VariantWeight("blue", 5000)));
        targeted.setVariants(List.of(
                new FlagVariant("on", "true"), new FlagVariant("off", "false"), new FlagVariant("blue", "true")));
        targeted.setRules(
                IntStream.range(0, 10).mapToObj(EvaluationBenchmark::rule).toList());
        String[] platforms = {"IOS", "ANDROID", "WEB"};
        String[] countries = {"FR", "DE", "XX", "US"};
        contexts = IntStream.range(0, 4096)
                .mapToObj(i -> new EvaluationContext(
                        "user-" + i,
                        Map.of(
                                "platform", platforms[i % 3],
                                "appVersion", "4." + (i % 12) + "." + (i % 5),
                                "country", countries[i % 4],
                                "email", "user-" + i + (i % 7 == 0 ? "@example.org" : "@example.com"),
                                "age", i % 60,
                                "signedUp", "2026-0" + (1 + i % 9) + "-15T10:00:00Z",
                                "plan", "plan-" + (i % 16))))
                .toArray(EvaluationContext[]::new);
        nearMiss = new EvaluationContext(
                "user-1",
                Map.of(
                        "platform", "IOS",
                        "appVersion", "9.0.0",
                        "country", "FR",
                        "email", "user-1@example.com",
                        "age", 0,
                        "signedUp", "2020-01-01T00:00:00Z",
                        "plan", "none"));
    }

    /** Rule i: five constraints of mixed operators; odd rules roll out on a share, even ones serve a variant. */
    private static TargetingRule rule(int i) {
        Constraint last =
                switch (i % 3) {
                    case 0 -> constraint("age", ConstraintOperator.NUM_GTE, String.valueOf(18 + i));
                    case 1 ->
                        constraint("signedUp", ConstraintOperator.DATE_AFTER, "2026-0" + (1 + i % 9) + "-01T00:00:00Z");
                    default -> constraint("plan", ConstraintOperator.IN, "plan-" + i, "plan-" + (i + 1));
                };
        return TargetingRule.newBuilder()
                .setId("rule-" + i)
                .setConstraints(List.of(
                        Constraint.newBuilder(constraint("platform", ConstraintOperator.IN, "ios", "android"))
                                .setCaseInsensitive(true)
                                .build(),
                        constraint("appVersion", ConstraintOperator.SEMVER_GTE, "4." + i + ".0"),
                        constraint("country", ConstraintOperator.NOT_IN, "XX", "YY", "ZZ"),
                        i % 2 == 0
                                ? constraint("email", ConstraintOperator.STR_ENDS_WITH, "@example.com")
                                : constraint("email", ConstraintOperator.MATCHES, "^user-\\d+@example\\.com$"),
                        last))
                .setVariant(i % 2 == 0 ? "blue" : null)
                .setRolloutBasisPoints(5000)
                .build();
    }

    private static Constraint constraint(String attribute, ConstraintOperator operator, String... values) {
        return Constraint.newBuilder()
                .setAttribute(attribute)
                .setOperator(operator)
                .setValues(List.of(values))
                .build();
    }

    @Benchmark
    public Evaluation percentageRollout() {
        return FlagEvaluator.evaluate(split, subjects[next++ & 4095], flags::get, false);
    }

    @Benchmark
    public Evaluation allowListOf1000() {
        return FlagEvaluator.evaluate(listed, "internal-500@example.com", flags::get, false);
    }

    @Benchmark
    public Evaluation childOfARolloutParent() {
        return FlagEvaluator.evaluate(child, subjects[next++ & 4095], flags::get, false);
    }

    @Benchmark
    public Evaluation tenRulesOfFiveConstraints() {
        return FlagEvaluator.evaluate(targeted, contexts[next++ & 4095], flags::get, false);
    }

    @Benchmark
    public Evaluation tenRulesNoneMatching() {
        return FlagEvaluator.evaluate(targeted, nearMiss, flags::get, false);
    }

    private FlagChangedEvent flag(String key, int basisPoints, List<String> allow, String parent) {
        FlagChangedEvent flag = FlagChangedEvent.newBuilder()
                .setEventId(key)
                .setFlagKey(key)
                .setVersion(1)
                .setChangeType(FlagChangeType.CREATED)
                .setChangedAt(Instant.now())
                .setActor("bench")
                .setEnabled(true)
                .setParentKey(parent)
                .setValueType(FlagValueType.BOOLEAN)
                .setVariants(List.of(new FlagVariant("on", "true"), new FlagVariant("off", "false")))
                .setTreatmentVariant("on")
                .setOffVariant("off")
                .setAllowList(allow)
                .setRolloutBasisPoints(basisPoints)
                .setGuardPolicy(new GuardPolicy(GuardAction.NOTIFY_ONLY, false, 300L))
                .build();
        flags.put(key, flag);
        return flag;
    }
}
