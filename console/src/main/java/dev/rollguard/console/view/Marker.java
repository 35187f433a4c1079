package dev.rollguard.console.view;

import java.util.Optional;

/**
 * Something drawn across the charts' time axis: an alert, an automatic action, a step of the promoter, or a change in
 * the audit log.
 */
public record Marker(String id, long at, String kind, String label) {

    public static Optional<Marker> of(AlertRow a) {
        if (a.at() == null) {
            return Optional.empty();
        }
        String label = (a.firing() ? "" : "resolved: ") + a.severity() + " " + a.ruleName();
        return Optional.of(new Marker(
                "alert:" + a.alertId() + ":" + a.status(),
                a.at().toEpochMilli(),
                a.firing() ? "alert" : "resolved",
                label));
    }

    public static Optional<Marker> of(RollbackRow r) {
        if (r.at() == null) {
            return Optional.empty();
        }
        return Optional.of(
                new Marker("rollback:" + r.id(), r.at().toEpochMilli(), "rollback", r.action() + " " + r.outcome()));
    }

    public static Optional<Marker> of(RolloutStep step) {
        if (step.at() == null) {
            return Optional.empty();
        }
        return Optional.of(new Marker(
                "rollout:" + step.id(),
                step.at().toEpochMilli(),
                "rollout",
                step.action() + " " + step.outcome() + " " + step.move()));
    }

    public static Optional<Marker> of(AuditRow e) {
        if (e.at() == null) {
            return Optional.empty();
        }
        return Optional.of(
                new Marker("audit:" + e.id(), e.at().toEpochMilli(), "change", e.action() + " by " + e.actor()));
    }
}
