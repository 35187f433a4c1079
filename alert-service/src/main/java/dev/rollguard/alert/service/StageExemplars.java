package dev.rollguard.alert.service;

import dev.rollguard.schemas.event.ClientMoment;
import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.Exemplar;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The earliest failed events of each flag's treatment cohort in its current rollout stage, as the windows name them:
 * the guard judges a whole stage, so its alerts name the events that started the trouble, not the last window's.
 * Kept in memory only; after a restart a stage's exemplars start again from the next window.
 */
final class StageExemplars {

    /** Exemplars kept per flag, as many as a window carries. */
    static final int MAX = 5;

    private static final Comparator<Exemplar> EARLIEST_FIRST =
            Comparator.comparing(Exemplar::getEventTime).thenComparing(Exemplar::getEventId);

    private record Stage(long version, List<Exemplar> exemplars) {}

    private final Map<String, Stage> stages = new HashMap<>();

    /** Takes the exemplars of a treatment cohort window of a flag under rollout; other windows are ignored. */
    void add(WindowMetricsEvent w) {
        if (w.getCohort() != Cohort.TREATMENT
                || w.getFlagKey() == null
                || w.getClientMoments().isEmpty()) {
            return;
        }
        long version = w.getClientMoments().stream()
                .mapToLong(ClientMoment::getStageVersion)
                .max()
                .orElseThrow();
        Stage stage = stages.get(w.getFlagKey());
        if (stage == null || stage.version() < version) {
            stage = new Stage(version, new ArrayList<>(MAX));
            stages.put(w.getFlagKey(), stage);
        } else if (stage.version() > version) {
            return;
        }
        List<Exemplar> kept = stage.exemplars();
        for (Exemplar e : w.getExemplars()) {
            if (kept.stream().noneMatch(k -> k.getEventId().equals(e.getEventId()))) {
                kept.add(e);
            }
        }
        kept.sort(EARLIEST_FIRST);
        while (kept.size() > MAX) {
            kept.remove(kept.size() - 1);
        }
    }

    /** The flag's exemplars in its current stage, earliest first; empty when none are known. */
    List<Exemplar> of(String flagKey) {
        Stage stage = stages.get(flagKey);
        return stage == null ? List.of() : List.copyOf(stage.exemplars());
    }
}
