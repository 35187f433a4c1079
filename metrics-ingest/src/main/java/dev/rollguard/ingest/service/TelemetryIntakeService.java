package dev.rollguard.ingest.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rollguard.http.error.ApiException;
import dev.rollguard.ingest.config.IngestConfig;
import dev.rollguard.ingest.domain.Violation;
import dev.rollguard.ingest.mapping.InvalidEventException;
import dev.rollguard.ingest.mapping.JsonSyntax;
import dev.rollguard.ingest.mapping.TelemetryJsonMapper;
import dev.rollguard.ingest.publisher.TelemetryPublisher;
import dev.rollguard.schemas.event.SyncEvent;
import dev.rollguard.schemas.event.UploadEvent;
import dev.rollguard.schemas.trace.TraceContext;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;

/**
 * The HTTP intake: reads a batch, checks each event with the same rules the stream applies, produces the valid ones
 * and reports the others by index. A batch whose valid events the broker did not acknowledge fails whole with 503;
 * retrying it is safe because the pipeline counts an event id once. A batch that says when the device sent it
 * ({@code sentAt}) has its event times moved onto the receiver's clock before they are checked ({@link
 * ClockCorrection}).
 */
@ApplicationScoped
public class TelemetryIntakeService {

    /** What became of a batch. */
    public record Outcome(int accepted, List<Rejection> rejected) {}

    /** One refused event: its position in the batch and why. */
    public record Rejection(int index, String code, String reason) {}

    private final ObjectMapper json;
    private final TelemetryPublisher publisher;
    private final TelemetryValidator validator;
    private final IngestConfig config;
    private final MeterRegistry registry;

    public TelemetryIntakeService(
            ObjectMapper json, TelemetryPublisher publisher, IngestConfig config, MeterRegistry registry) {
        this.json = json;
        this.publisher = publisher;
        this.validator = new TelemetryValidator(ValidationRules.from(config.validation()));
        this.config = config;
        this.registry = registry;
    }

    /** Accepts a batch; {@code trace} (the request's id and trace context, or null) goes with every event. */
    public Uni<Outcome> accept(byte[] body, TraceContext trace) {
        if (body.length > config.intake().maxBodyBytes()) {
            throw new ApiException(
                    413,
                    "PAYLOAD_TOO_LARGE",
                    "the body has " + body.length + " bytes, at most "
                            + config.intake().maxBodyBytes() + " are accepted");
        }
        long now = System.currentTimeMillis();
        JsonNode batch = batch(body);
        JsonNode events = events(batch);
        ClockCorrection clock = clock(batch, now);
        List<SpecificRecord> valid = new ArrayList<>(events.size());
        List<Rejection> rejected = new ArrayList<>();
        int corrected = 0;
        for (int i = 0; i < events.size(); i++) {
            Violation violation;
            try {
                SpecificRecord event = TelemetryJsonMapper.toAvro(events.get(i));
                Instant deviceTime = clock.applies() ? moveTime(event, clock) : null;
                violation = validator.validate(event, now);
                if (violation == null) {
                    valid.add(event);
                    corrected += deviceTime == null ? 0 : 1;
                    continue;
                }
                violation = clock.explain(violation, deviceTime);
            } catch (InvalidEventException e) {
                violation = e.violation();
            }
            rejected.add(new Rejection(i, violation.code(), violation.message()));
            registry.counter("rollguard.ingest.http.events", "outcome", "rejected", "code", violation.code())
                    .increment();
        }
        if (valid.isEmpty()) {
            return Uni.createFrom().item(new Outcome(0, rejected));
        }
        int movedTimes = corrected;
        return publisher
                .publish(valid, trace)
                .ifNoItem()
                .after(config.intake().ackTimeout())
                .fail()
                .onFailure()
                .transform(e -> new ApiException(
                        503, "UNAVAILABLE", "the broker did not acknowledge the batch; retrying it is safe"))
                // Counted once the broker acknowledged them: a batch answered 503 is sent again, and counted then.
                .invoke(() -> {
                    registry.counter("rollguard.ingest.http.events", "outcome", "accepted", "code", "none")
                            .increment(valid.size());
                    Counter.builder("rollguard.ingest.clock.corrected")
                            .description("Events accepted over HTTP whose time moved by their batch's sentAt")
                            .register(registry)
                            .increment(movedTimes);
                })
                .replaceWith(new Outcome(valid.size(), rejected));
    }

    /**
     * The device clock's offset from the batch's {@code sentAt}, recorded (in seconds, by whether the device clock is
     * ahead or behind) for every batch that has one, within the threshold or not.
     */
    private ClockCorrection clock(JsonNode batch, long receivedAt) {
        Instant sentAt;
        try {
            sentAt = TelemetryJsonMapper.sentAt(batch);
        } catch (InvalidEventException e) {
            String why = e.getMessage().startsWith("sentAt ")
                    ? e.getMessage().substring("sentAt ".length())
                    : e.getMessage();
            throw ApiException.invalid("sentAt", why);
        }
        ClockCorrection clock =
                ClockCorrection.of(sentAt, receivedAt, config.intake().clockCorrectionThreshold());
        if (sentAt != null) {
            DistributionSummary.builder("rollguard.ingest.clock.offset")
                    .description("How far the device clock of a batch with sentAt was off")
                    .baseUnit("seconds")
                    .tag("clock", clock.offsetMillis() < 0 ? "ahead" : "behind")
                    .register(registry)
                    .record(Math.abs((double) clock.offsetMillis()) / 1000);
        }
        return clock;
    }

    /** Moves the event's time by the clock's offset; returns the time the device gave. */
    private static Instant moveTime(SpecificRecord event, ClockCorrection clock) {
        if (event instanceof SyncEvent s) {
            Instant deviceTime = s.getEventTime();
            s.setEventTime(clock.correct(deviceTime));
            return deviceTime;
        }
        UploadEvent u = (UploadEvent) event;
        Instant deviceTime = u.getEventTime();
        u.setEventTime(clock.correct(deviceTime));
        return deviceTime;
    }

    private JsonNode batch(byte[] body) {
        String notUtf8 = JsonSyntax.notUtf8(body);
        if (notUtf8 != null) {
            throw ApiException.invalid("body", notUtf8);
        }
        JsonNode root;
        try {
            root = json.readTree(body);
        } catch (JsonProcessingException e) {
            // A repeated key in one event refuses the whole batch, so the client must be told where it is.
            throw ApiException.invalid(
                    "body",
                    JsonSyntax.describe(
                            e, json.getFactory().streamReadConstraints().getMaxNestingDepth()));
        } catch (java.io.IOException e) {
            throw ApiException.invalid("body", "cannot be read");
        }
        if (root == null || !root.isObject() || !root.has("events")) {
            throw ApiException.invalid("events", "the body must be {\"events\": [...]}");
        }
        return root;
    }

    private JsonNode events(JsonNode batch) {
        JsonNode events = batch.get("events");
        if (!events.isArray()) {
            throw ApiException.invalid("events", "must be an array");
        }
        if (events.size() > config.intake().maxBatchEvents()) {
            throw ApiException.invalid(
                    "events",
                    "has " + events.size() + " events, at most "
                            + config.intake().maxBatchEvents() + " are accepted per batch");
        }
        return events;
    }
}
