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
        String key = key(w.getFlagKey(), w.getVariant());
        Stage stage = stages.get(key);
        if (stage == null || stage.version() < version) {
            stage = new Stage(version, new ArrayList<>(MAX));
            stages.put(key, stage);
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
        return of(flagKey, null);
    }

    /** The exemplars of a treated variant of a weighted flag (null: of its plain treatment), earliest first. */
    List<Exemplar> of(String flagKey, String variant) {
        Stage stage = stages.get(key(flagKey, variant));
        return stage == null ? List.of() : List.copyOf(stage.exemplars());
    }

    private static String key(String flagKey, String variant) {
        return variant == null ? flagKey : flagKey + "\u0000" + variant;
    }
}
