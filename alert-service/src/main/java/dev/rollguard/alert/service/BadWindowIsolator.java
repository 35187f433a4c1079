package dev.rollguard.alert.service;

import dev.rollguard.alert.repository.DataErrors;
import dev.rollguard.alert.service.RuleEvaluationService.Outcome;
import dev.rollguard.alert.service.RuleEvaluationService.WindowRecord;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Stores a batch of windows that contains windows which cannot be evaluated or stored, by finding those windows and
 * refusing only them: one bad window never takes the others of its batch with it.
 *
 * <p>A batch is first tried whole, so a healthy batch costs one transaction. When a window's evaluation throws, that
 * window is known: it is refused and the batch tried again. When the database refuses the data ({@link
 * DataErrors}), the batch is split in halves, stored one after the other in offset order (each half with its own
 * positions, so the stored position never passes a window that was not stored), until the single window the
 * database refuses is found and refused. A refused window is dead-lettered before the transaction that stores its
 * position, like an invalid one. After every failed attempt memory is reloaded from the database, because evaluation
 * ran ahead of it. Any other failure (the database unavailable) is the attempt's to retry, never a reason to refuse
 * a window.
 */
final class BadWindowIsolator {

    /** One attempt at evaluating and storing some records in one transaction. */
    interface Attempt {
        /**
         * Evaluates {@code records} in order and stores what they changed, their dead letters sent first, except to
         * records in {@code deadLettered} (sent by an earlier attempt); adds the records it sent to that set. Fails
         * with {@link WindowEvaluationException} when a window's evaluation throws.
         */
        Uni<Outcome> run(List<WindowRecord> records, Set<WindowRecord> deadLettered);
    }

    /** A window whose evaluation threw. */
    static final class WindowEvaluationException extends RuntimeException {
        private final transient WindowRecord record;

        WindowEvaluationException(WindowRecord record, RuntimeException cause) {
            super(
                    "evaluation of the window at " + record.topic() + "-" + record.partition() + "@" + record.offset()
                            + " failed: " + cause,
                    cause);
            this.record = record;
        }

        WindowRecord record() {
            return record;
        }
    }

    private final Attempt attempt;
    private final Supplier<Uni<Void>> reload;

    /**
     * @param attempt evaluates and stores records
     * @param reload reads memory back from the database after a failed attempt
     */
    BadWindowIsolator(Attempt attempt, Supplier<Uni<Void>> reload) {
        this.attempt = attempt;
        this.reload = reload;
    }

    /** Evaluates and stores {@code records}, refusing exactly the windows that cannot be evaluated or stored. */
    Uni<Outcome> process(List<WindowRecord> records) {
        Set<WindowRecord> deadLettered = Collections.newSetFromMap(new IdentityHashMap<>());
        return isolate(records, deadLettered);
    }

    private Uni<Outcome> isolate(List<WindowRecord> records, Set<WindowRecord> deadLettered) {
        return attempt.run(records, deadLettered).onFailure().recoverWithUni(failure -> {
            if (failure instanceof WindowEvaluationException bad) {
                WindowRecord refused = bad.record().refused("cannot be evaluated: " + bad.getCause());
                Log.warnf(failure, "refusing the window at %s", position(bad.record()));
                return reload.get().chain(() -> isolate(replaced(records, bad.record(), refused), deadLettered));
            }
            if (!DataErrors.isDataError(failure)) {
                return Uni.createFrom().failure(failure);
            }
            if (records.size() == 1) {
                WindowRecord culprit = records.get(0);
                if (culprit.failure() != null) {
                    // Refused already, so nothing of it was written: the refusal is not this window's doing.
                    return Uni.createFrom().failure(failure);
                }
                String reason = "cannot be stored: " + DataErrors.describe(failure);
                Log.warnf("refusing the window at %s: %s", position(culprit), reason);
                return reload.get().chain(() -> isolate(List.of(culprit.refused(reason)), deadLettered));
            }
            int half = records.size() / 2;
            Log.infof(
                    "%d windows from %s cannot be stored together (%s); storing them in halves",
                    records.size(), position(records.get(0)), DataErrors.describe(failure));
            return reload.get()
                    .chain(() -> isolate(records.subList(0, half), deadLettered))
                    .chain(first -> isolate(records.subList(half, records.size()), deadLettered)
                            .map(first::plus));
        });
    }

    private static List<WindowRecord> replaced(List<WindowRecord> records, WindowRecord old, WindowRecord updated) {
        List<WindowRecord> copy = new ArrayList<>(records.size());
        for (WindowRecord record : records) {
            copy.add(record == old ? updated : record);
        }
        return copy;
    }

    private static String position(WindowRecord record) {
        return record.topic() + "-" + record.partition() + "@" + record.offset();
    }
}
