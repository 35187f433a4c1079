package dev.rollguard.console.live;

import dev.rollguard.console.config.ConsoleConfig;
import dev.rollguard.console.view.AlertRow;
import dev.rollguard.console.view.RollbackRow;
import dev.rollguard.console.view.RolloutStep;
import dev.rollguard.console.view.WindowPoint;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.operators.multi.processors.BroadcastProcessor;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The recent past per flag, bounded: the windows of each cohort, the alerts, the automatic actions and the
 * promoter's steps. It exists only to draw the live charts and to tell open pages what just happened (a flag that
 * changed included); the services stay the record.
 */
@ApplicationScoped
public class LiveHistory {

    private final int windowsPerCohort;
    private final int eventsKept;
    private final Map<String, Deque<WindowPoint>> windows = new ConcurrentHashMap<>();
    private final Map<String, Deque<AlertRow>> alertsByFlag = new ConcurrentHashMap<>();
    private final Map<String, Deque<RollbackRow>> rollbacksByFlag = new ConcurrentHashMap<>();
    private final Map<String, Deque<RolloutStep>> rolloutsByFlag = new ConcurrentHashMap<>();
    private final Deque<AlertRow> recentAlerts = new ArrayDeque<>();
    private final BroadcastProcessor<LiveEvent> live = BroadcastProcessor.create();

    public LiveHistory(ConsoleConfig config, MeterRegistry registry) {
        this.windowsPerCohort = config.history().windowsPerCohort();
        this.eventsKept = config.history().events();
        registry.gaugeMapSize("rollguard.console.flags.tracked", List.of(), windows);
    }

    public void add(WindowPoint point) {
        String key = point.flagKey() + "\u0000" + point.cohort() + "\u0000" + point.kind();
        Deque<WindowPoint> deque = windows.computeIfAbsent(key, k -> new ArrayDeque<>());
        synchronized (deque) {
            // A window re-emitted (late events, a replay after restart) replaces the one with the same start.
            deque.removeIf(p -> p.start() == point.start());
            deque.addLast(point);
            while (deque.size() > windowsPerCohort) {
                deque.removeFirst();
            }
        }
        live.onNext(new LiveEvent("window", point.flagKey(), point));
    }

    public void add(AlertRow alert) {
        if (alert.flagKey() != null) {
            bounded(alertsByFlag.computeIfAbsent(alert.flagKey(), k -> new ArrayDeque<>()), alert);
        }
        bounded(recentAlerts, alert);
        live.onNext(new LiveEvent("alert", alert.flagKey(), alert));
    }

    public void add(RollbackRow rollback) {
        if (rollback.flagKey() != null) {
            bounded(rollbacksByFlag.computeIfAbsent(rollback.flagKey(), k -> new ArrayDeque<>()), rollback);
        }
        live.onNext(new LiveEvent("rollback", rollback.flagKey(), rollback));
    }

    public void add(RolloutStep step) {
        if (step.flagKey() != null) {
            bounded(rolloutsByFlag.computeIfAbsent(step.flagKey(), k -> new ArrayDeque<>()), step);
        }
        live.onNext(new LiveEvent("rollout", step.flagKey(), step));
    }

    /** A flag changed (its new version): open pages of the flag reload what depends on its state. */
    public void flagChanged(String flagKey, long version) {
        live.onNext(new LiveEvent("flag", flagKey, java.util.Map.of("flagKey", flagKey, "version", version)));
    }

    /** The windows of a flag, both cohorts, oldest first. */
    public List<WindowPoint> windows(String flagKey) {
        List<WindowPoint> result = new ArrayList<>();
        windows.forEach((key, deque) -> {
            if (key.startsWith(flagKey + "\u0000")) {
                synchronized (deque) {
                    result.addAll(deque);
                }
            }
        });
        result.sort(Comparator.comparingLong(WindowPoint::end));
        return result;
    }

    public List<AlertRow> alerts(String flagKey) {
        return snapshot(alertsByFlag.getOrDefault(flagKey, new ArrayDeque<>()));
    }

    public List<RollbackRow> rollbacks(String flagKey) {
        return snapshot(rollbacksByFlag.getOrDefault(flagKey, new ArrayDeque<>()));
    }

    public List<RolloutStep> rollouts(String flagKey) {
        return snapshot(rolloutsByFlag.getOrDefault(flagKey, new ArrayDeque<>()));
    }

    /** Alerts seen on the topic since the console started (and the replayed recent past), newest first. */
    public List<AlertRow> recentAlerts() {
        List<AlertRow> result = snapshot(recentAlerts);
        java.util.Collections.reverse(result);
        return result;
    }

    public Multi<LiveEvent> stream() {
        return live;
    }

    private <T> void bounded(Deque<T> deque, T item) {
        synchronized (deque) {
            deque.addLast(item);
            while (deque.size() > eventsKept) {
                deque.removeFirst();
            }
        }
    }

    private static <T> List<T> snapshot(Deque<T> deque) {
        synchronized (deque) {
            return new ArrayList<>(deque);
        }
    }
}
