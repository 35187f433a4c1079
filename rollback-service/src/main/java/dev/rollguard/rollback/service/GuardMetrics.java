package dev.rollguard.rollback.service;

import dev.rollguard.schemas.event.GuardAction;
import dev.rollguard.schemas.event.RollbackOutcome;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Supplier;

/** The guard's Micrometer meters: one timer per step of the path from breach to safety, and counters. */
@ApplicationScoped
public class GuardMetrics {

    private final MeterRegistry registry;

    public GuardMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    public void ignored(String reason) {
        Counter.builder("rollguard.rollback.alerts.ignored")
                .description("Alerts the guard does not act on")
                .tag("reason", reason)
                .register(registry)
                .increment();
    }

    public void duplicate() {
        Counter.builder("rollguard.rollback.alerts.duplicate")
                .description("Alerts read again (redelivery, restart) whose action was already complete")
                .register(registry)
                .increment();
    }

    public void resumed() {
        Counter.builder("rollguard.rollback.alerts.resumed")
                .description("Alerts read again whose flag change had been started but not recorded as confirmed")
                .register(registry)
                .increment();
    }

    /**
     * The alert listener's lanes: alerts being handled, and alerts read and not started yet (behind an earlier alert of
     * their flag, or waiting for a place).
     */
    public void lanes(Supplier<Number> inFlight, Supplier<Number> waiting) {
        Gauge.builder("rollguard.rollback.alerts.in.flight", inFlight)
                .description("Alerts being handled (at most rollback-service.listener.max-in-flight)")
                .strongReference(true)
                .register(registry);
        Gauge.builder("rollguard.rollback.alerts.waiting", waiting)
                .description("Alerts read and not started: behind an earlier alert of their flag, or waiting for a"
                        + " place (at most rollback-service.listener.max-queued)")
                .strongReference(true)
                .register(registry);
    }

    /** Alerts whose handling was given up at a stop: not acknowledged, read again at the next start. */
    public void abandoned(int count) {
        Counter.builder("rollguard.rollback.alerts.abandoned")
                .description("Alerts left unfinished at a stop, read again at the next start")
                .register(registry)
                .increment(count);
    }

    /**
     * Alert records that could not be sent to the dead-letter topic: not acknowledged, each holds the committed offset
     * of its partition until the service restarts. Registered by the alert listener, built at start, so it reads 0 until
     * the first.
     */
    public Counter nacksFailed() {
        return Counter.builder("rollguard.rollback.alerts.nack.failed")
                .description("Alert records whose dead letter could not be sent; each holds its partition's committed"
                        + " offset until a restart")
                .register(registry);
    }

    public void retry(String cause) {
        Counter.builder("rollguard.rollback.retries")
                .description("Retries of an alert's handling after a transient failure")
                .tag("cause", cause)
                .register(registry)
                .increment();
    }

    /** An action recorded; {@code flagKey} null for an alert that names no flag (tagged {@code none}). */
    public void action(String flagKey, GuardAction action, RollbackOutcome outcome) {
        Counter.builder("rollguard.rollback.actions")
                .description("Actions recorded by the guard")
                .tag("action", action.name())
                .tag("outcome", outcome.name())
                .tag("flag", flagKey == null ? "none" : flagKey)
                .register(registry)
                .increment();
    }

    /** Alert fired (startsAt) to alert read by the guard. */
    public void delivery(Instant firedAt, Instant receivedAt) {
        record("rollguard.rollback.alert.delivery", "Alert fired to alert received", null, firedAt, receivedAt);
    }

    /** Alert read to decision made (flag and cooldown looked up). */
    public void decision(Instant receivedAt, Instant decidedAt) {
        record("rollguard.rollback.decision", "Alert received to decision made", null, receivedAt, decidedAt);
    }

    /** Alert read to the flag-service's confirmation of the change. */
    public void flip(GuardAction action, Instant receivedAt, Instant confirmedAt) {
        record("rollguard.rollback.flip", "Alert received to flag changed", action, receivedAt, confirmedAt);
    }

    /** Flag changed to the change seen on the OFREP endpoint. */
    public void visibility(Instant changedAt, Instant visibleAt) {
        record("rollguard.rollback.visibility", "Flag changed to change visible on OFREP", null, changedAt, visibleAt);
    }

    /** First breaching event to the flag changed. */
    public void breachToFlip(GuardAction action, Instant firstBreachAt, Instant changedAt) {
        record(
                "rollguard.rollback.breach.to.flip",
                "First breaching event to flag changed",
                action,
                firstBreachAt,
                changedAt);
    }

    private void record(String name, String description, GuardAction action, Instant from, Instant to) {
        if (from == null || to == null || to.isBefore(from)) {
            return;
        }
        Timer.Builder timer = Timer.builder(name).description(description).publishPercentileHistogram();
        if (action != null) {
            timer.tag("action", action.name());
        }
        timer.register(registry).record(Duration.between(from, to));
    }
}
