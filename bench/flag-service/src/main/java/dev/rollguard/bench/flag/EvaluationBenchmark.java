package dev.rollguard.bench.flag;

import dev.rollguard.schemas.event.FlagChangeType;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.event.FlagValueType;
import dev.rollguard.schemas.event.FlagVariant;
import dev.rollguard.schemas.event.GuardAction;
import dev.rollguard.schemas.event.GuardPolicy;
import dev.rollguard.schemas.targeting.Evaluation;
import dev.rollguard.schemas.targeting.FlagEvaluator;
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
 * snapshot map, for a percentage rollout (hash + bucket), a subject on a 1000-entry allow-list, and a child flag
 * whose parent is itself a percentage rollout (two hashes).
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
    private String[] subjects;
    private int next;

    @Setup
    public void setUp() {
        List<String> allow = IntStream.range(0, 1000)
                .mapToObj(i -> "internal-" + i + "@example.com")
                .toList();
        split = flag("offline-recording", 1000, List.of(), null);
        // As the flag-service's snapshot holds them: a list whose contains() is a hash lookup.
        listed = flag("internal-tools", 0, new HashedList(allow), null);
        flag("replication", 5000, List.of(), null);
        child = flag("replication.table.entries", 2000, List.of(), "replication");
        subjects = IntStream.range(0, 4096).mapToObj(i -> "user-" + i).toArray(String[]::new);
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

    /** The same idea as the flag-service's IndexedList (package-private there). */
    static final class HashedList extends java.util.AbstractList<String> {
        private final List<String> keys;
        private final java.util.Set<String> index;

        HashedList(List<String> keys) {
            this.keys = List.copyOf(keys);
            this.index = new java.util.HashSet<>(keys);
        }

        @Override
        public String get(int i) {
            return keys.get(i);
        }

        @Override
        public int size() {
            return keys.size();
        }

        @Override
        public boolean contains(Object o) {
            return index.contains(o);
        }
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
