package dev.rollguard.alert.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rollguard.alert.service.RuleEvaluationService.Outcome;
import dev.rollguard.alert.service.RuleEvaluationService.Rejected;
import dev.rollguard.alert.service.RuleEvaluationService.WindowRecord;
import io.smallrye.mutiny.Uni;
import io.vertx.pgclient.PgException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The isolation of bad windows against an attempt that behaves like the evaluator's transaction: all of a chunk is
 * stored or nothing, a chunk holding an unstorable window is refused by the database, a window whose evaluation throws
 * fails the attempt at once.
 */
class BadWindowIsolatorTest {

    private static final String UNSTORABLE = "unstorable";
    private static final String THROWS = "throws";
    private static final String OUTAGE = "outage";

    /** What the fake database committed and the fake broker received, in order. */
    private final List<Long> stored = new ArrayList<>();

    private final List<Rejected> deadLetters = new ArrayList<>();
    private int attempts;
    private int reloads;

    private final BadWindowIsolator isolator = new BadWindowIsolator(this::attempt, () -> {
        reloads++;
        return Uni.createFrom().voidItem();
    });

    private Uni<Outcome> attempt(List<WindowRecord> records, Set<WindowRecord> deadLettered) {
        attempts++;
        List<Rejected> rejected = new ArrayList<>();
        List<Long> evaluated = new ArrayList<>();
        boolean refusedByDatabase = false;
        for (WindowRecord record : records) {
            if (record.failure() != null) {
                rejected.add(new Rejected(record, record.failure()));
                continue;
            }
            if (record.key().equals(THROWS)) {
                return Uni.createFrom()
                        .failure(new BadWindowIsolator.WindowEvaluationException(
                                record, new IllegalStateException("no figure")));
            }
            if (record.key().equals(OUTAGE)) {
                return Uni.createFrom().failure(new PgException("connection lost", "FATAL", "08006", null));
            }
            refusedByDatabase |= record.key().equals(UNSTORABLE);
            evaluated.add(record.offset());
        }
        for (Rejected r : rejected) {
            if (deadLettered.add(r.record())) {
                deadLetters.add(r);
            }
        }
        if (refusedByDatabase) {
            return Uni.createFrom()
                    .failure(new PgException(
                            "invalid byte sequence for encoding \"UTF8\": 0x00", "ERROR", "22021", null));
        }
        stored.addAll(evaluated);
        return Uni.createFrom().item(new Outcome(evaluated.size(), 0, rejected, 0));
    }

    private static List<WindowRecord> windows(int count, String... keysByOffset) {
        return IntStream.range(0, count)
                .mapToObj(offset -> new WindowRecord(
                        "metrics.windows",
                        0,
                        offset,
                        offset < keysByOffset.length && keysByOffset[offset] != null ? keysByOffset[offset] : "good",
                        null,
                        null,
                        new byte[] {(byte) offset}))
                .toList();
    }

    private Outcome process(List<WindowRecord> records) {
        return isolator.process(records).await().atMost(Duration.ofSeconds(5));
    }

    @Test
    void aHealthyBatchIsStoredInOneAttempt() {
        Outcome outcome = process(windows(8));

        assertThat(outcome.evaluated()).isEqualTo(8);
        assertThat(outcome.rejected()).isEmpty();
        assertThat(stored).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L);
        assertThat(attempts).isEqualTo(1);
        assertThat(reloads).isZero();
    }

    @Test
    void aWindowTheDatabaseRefusesIsRefusedAloneAndEveryOtherIsStoredOnceInOrder() {
        String[] keys = new String[10];
        keys[6] = UNSTORABLE;

        Outcome outcome = process(windows(10, keys));

        assertThat(stored).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 7L, 8L, 9L);
        assertThat(outcome.evaluated()).isEqualTo(9);
        assertThat(outcome.rejected()).singleElement().satisfies(r -> {
            assertThat(r.record().offset()).isEqualTo(6);
            assertThat(r.record().raw()).containsExactly(6);
            assertThat(r.reason())
                    .startsWith("cannot be stored: ")
                    .contains("0x00")
                    .contains("22021");
        });
        assertThat(deadLetters)
                .singleElement()
                .satisfies(r -> assertThat(r.record().offset()).isEqualTo(6));
        assertThat(reloads).isPositive();
        // Halving finds one window among ten in a handful of transactions, not one per window.
        assertThat(attempts).isLessThanOrEqualTo(12);
    }

    @Test
    void severalRefusedWindowsAreEachRefusedAndTheRestStored() {
        String[] keys = new String[16];
        keys[0] = UNSTORABLE;
        keys[9] = UNSTORABLE;
        keys[15] = UNSTORABLE;

        Outcome outcome = process(windows(16, keys));

        assertThat(outcome.rejected()).extracting(r -> r.record().offset()).containsExactly(0L, 9L, 15L);
        assertThat(stored).hasSize(13).doesNotContain(0L, 9L, 15L).isSorted();
        assertThat(deadLetters).hasSize(3);
    }

    @Test
    void aWindowWhoseEvaluationThrowsIsRefusedWithoutSplittingTheBatch() {
        String[] keys = new String[6];
        keys[2] = THROWS;

        Outcome outcome = process(windows(6, keys));

        assertThat(stored).containsExactly(0L, 1L, 3L, 4L, 5L);
        assertThat(outcome.rejected()).singleElement().satisfies(r -> {
            assertThat(r.record().offset()).isEqualTo(2);
            assertThat(r.reason()).startsWith("cannot be evaluated: ").contains("no figure");
        });
        assertThat(attempts).isEqualTo(2);
        assertThat(reloads).isEqualTo(1);
    }

    @Test
    void aRecordRejectedBeforeTheRefusalIsDeadLetteredOnlyOnce() {
        List<WindowRecord> records = new ArrayList<>(windows(6, null, null, null, null, UNSTORABLE));
        records.set(1, records.get(1).refused("cannot decode a WindowMetricsEvent"));

        Outcome outcome = process(records);

        assertThat(outcome.rejected()).extracting(r -> r.record().offset()).containsExactly(1L, 4L);
        assertThat(deadLetters).extracting(r -> r.record().offset()).containsExactly(1L, 4L);
        assertThat(stored).containsExactly(0L, 2L, 3L, 5L);
    }

    @Test
    void aFailureThatSaysNothingAboutTheDataRefusesNoWindow() {
        assertThatThrownBy(() -> process(windows(4, null, OUTAGE)))
                .isInstanceOf(PgException.class)
                .hasMessageContaining("08006");

        assertThat(deadLetters).isEmpty();
        assertThat(stored).isEmpty();
        assertThat(attempts).isEqualTo(1);
    }
}
