package dev.rollguard.alert.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rollguard.alert.domain.Fingerprints;
import dev.rollguard.alert.domain.inbound.ExternalAlert;
import dev.rollguard.alert.domain.inbound.InboundDedup;
import dev.rollguard.alert.domain.inbound.InboundDedup.Decision;
import dev.rollguard.alert.domain.inbound.InboundOutcome;
import dev.rollguard.alert.domain.inbound.InboundOutcome.Kind;
import dev.rollguard.alert.mapping.AlertMapper;
import dev.rollguard.alert.mapping.ExternalAlertMapper;
import dev.rollguard.alert.publisher.AlertHub;
import dev.rollguard.alert.publisher.AlertPublisher;
import dev.rollguard.alert.repository.InboundAlertRepository;
import dev.rollguard.alert.repository.InboundAlertRepository.InboundRow;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.event.AlertStatus;
import dev.rollguard.schemas.event.Severity;
import dev.rollguard.schemas.serde.AvroCodec;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Alerts in: alerts from a team's own monitoring (an Alertmanager's webhook, or the generic shape) that name a flag
 * enter the guard's path. Each one that is a transition ({@link InboundDedup}) is stored in the alerts outbox and
 * published on the {@code alerts} topic like Rollguard's own, where the rollback-service applies the flag's guard
 * policy (dry run, cooldown, idempotency); copies of a transition received before are answered as duplicates and
 * change nothing. Alerts naming no flag, or of a severity other than critical and warning, are ignored: nothing
 * says which flag to act on. Alerts that cannot be read are rejected one by one, never with the others of the request.
 */
@ApplicationScoped
public class InboundAlertService {

    /** Expired alerts resolved per round of the sweep, at most; the rest wait for the next round. */
    private static final int EXPIRED_PER_ROUND = 500;

    private final InboundAlertRepository repository;
    private final AlertPublisher publisher;
    private final AlertHub hub;
    private final ObjectMapper json;
    private final AvroCodec<AlertEvent> codec = AvroCodec.of(AlertEvent.class);
    private final Map<Kind, Counter> counters = new EnumMap<>(Kind.class);

    public InboundAlertService(
            InboundAlertRepository repository,
            AlertPublisher publisher,
            AlertHub hub,
            ObjectMapper json,
            MeterRegistry meters) {
        this.repository = repository;
        this.publisher = publisher;
        this.hub = hub;
        this.json = json;
        for (Kind kind : Kind.values()) {
            counters.put(
                    kind,
                    Counter.builder("rollguard.alert.inbound")
                            .description("Alerts received from outside, by what became of them")
                            .tag("outcome", kind.name().toLowerCase(Locale.ROOT))
                            .register(meters));
        }
    }

    /**
     * Handles the alerts of one request in order; answers what became of each, with the {@code rejected} ones (those
     * that could not be read) in their places.
     */
    public Uni<List<InboundOutcome>> receive(List<ExternalAlert> alerts, List<InboundOutcome> rejected) {
        if (!rejected.isEmpty()) {
            Log.warnf(
                    "%d of %d alerts received rejected, e.g. alert %d: %s",
                    rejected.size(),
                    rejected.size() + alerts.size(),
                    rejected.get(0).index(),
                    rejected.get(0).reason());
        }
        return Multi.createFrom()
                .iterable(alerts)
                .onItem()
                .transformToUniAndConcatenate(this::receive)
                .collect()
                .asList()
                .map(taken -> {
                    List<InboundOutcome> outcomes = new ArrayList<>(taken);
                    outcomes.addAll(rejected);
                    outcomes.sort(Comparator.comparingInt(InboundOutcome::index));
                    return outcomes;
                })
                .invoke(outcomes -> {
                    outcomes.forEach(o -> counters.get(o.outcome()).increment());
                    if (outcomes.stream().anyMatch(o -> o.outcome() == Kind.FIRING || o.outcome() == Kind.RESOLVED)) {
                        publisher.kick();
                        hub.signal();
                    }
                });
    }

    private Uni<InboundOutcome> receive(ExternalAlert alert) {
        String flagKey = alert.flagKey();
        if (flagKey == null) {
            return ignored(alert, null, null, "names no flag (label " + ExternalAlert.FLAG_LABEL + ")");
        }
        String severityLabel = alert.labels().get("severity");
        Severity severity = severity(severityLabel);
        if (severity == null) {
            return ignored(
                    alert,
                    null,
                    flagKey,
                    "severity " + (severityLabel == null ? "missing" : "'" + severityLabel + "'")
                            + ": only critical and warning alerts are taken");
        }
        String fingerprint = Fingerprints.external(alert.labels());
        Instant now = Instant.now();
        AtomicReference<Decision> decided = new AtomicReference<>();
        AtomicReference<String> alertId = new AtomicReference<>();
        // The decision runs inside the repository's transaction, with the fingerprint's last transition in hand.
        return repository
                .record(fingerprint, alert.firing() ? alert.endsAt() : null, latest -> {
                    Decision decision = InboundDedup.decide(alert, latest, now);
                    decided.set(decision);
                    return decision.transition().map(transition -> {
                        AlertEvent event =
                                ExternalAlertMapper.toEvent(alert, flagKey, severity, fingerprint, transition, now);
                        alertId.set(event.getAlertId());
                        return new InboundRow(event, toJson(event), codec.encode(event));
                    });
                })
                .map(stored -> {
                    Decision decision = decided.get();
                    if (stored.isPresent()) {
                        Kind kind = decision.transition().orElseThrow().status() == AlertStatus.FIRING
                                ? Kind.FIRING
                                : Kind.RESOLVED;
                        Log.infof(
                                "external alert %s from %s on flag %s: %s (%s)",
                                alert.name(), alert.source(), flagKey, kind, fingerprint);
                        return new InboundOutcome(alert.index(), kind, fingerprint, flagKey, alertId.get(), null);
                    }
                    String reason = decision.reason() != null ? decision.reason() : "received before";
                    return new InboundOutcome(alert.index(), Kind.DUPLICATE, fingerprint, flagKey, null, reason);
                });
    }

    /**
     * Resolves the alerts received from outside whose sender's endsAt passed without a new copy, as an Alertmanager
     * does (Prometheus sends a firing alert again well before its endsAt; one that stops doing so, because its rule
     * cleared while it was restarting, never sends the resolution). Answers how many resolved.
     */
    public Uni<Integer> expire(Instant now) {
        return repository
                .expired(now, EXPIRED_PER_ROUND)
                .onItem()
                .transformToMulti(fingerprints -> Multi.createFrom().iterable(fingerprints))
                .onItem()
                .transformToUniAndConcatenate(fingerprint -> repository.expire(fingerprint, now, (firing, endsAt) -> {
                    Map<String, String> annotations = new LinkedHashMap<>(firing.getAnnotations());
                    annotations.put(
                            "reason",
                            "expired: no firing copy received before its endsAt " + endsAt + " (the sender stopped"
                                    + " sending it)");
                    // The stored firing transition, read back for this alone, becomes its resolution (set in place:
                    // Avro's copying builder resolves enums through its own class loader).
                    AlertEvent resolved = firing;
                    resolved.setAlertId(Fingerprints.alertId(fingerprint, AlertStatus.RESOLVED, firing.getStartsAt()));
                    resolved.setStatus(AlertStatus.RESOLVED);
                    resolved.setEndsAt(endsAt);
                    resolved.setEmittedAt(now);
                    resolved.setAnnotations(annotations);
                    Log.infof(
                            "external alert %s on flag %s: RESOLVED, expired at %s (%s)",
                            firing.getRuleName(), firing.getFlagKey(), endsAt, fingerprint);
                    return new InboundRow(resolved, toJson(resolved), codec.encode(resolved));
                }))
                .collect()
                .asList()
                .map(stored -> (int) stored.stream().filter(Optional::isPresent).count())
                .invoke(resolved -> {
                    if (resolved > 0) {
                        counters.get(Kind.RESOLVED).increment(resolved);
                        publisher.kick();
                        hub.signal();
                    }
                });
    }

    private static Uni<InboundOutcome> ignored(ExternalAlert alert, String fingerprint, String flagKey, String why) {
        return Uni.createFrom().item(new InboundOutcome(alert.index(), Kind.IGNORED, fingerprint, flagKey, null, why));
    }

    private static Severity severity(String label) {
        if (label == null) {
            return null;
        }
        return switch (label.strip().toLowerCase(Locale.ROOT)) {
            case "critical" -> Severity.CRITICAL;
            case "warning" -> Severity.WARNING;
            default -> null;
        };
    }

    private String toJson(AlertEvent event) {
        try {
            return json.writeValueAsString(AlertMapper.toView(event));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize an alert view", e);
        }
    }
}
