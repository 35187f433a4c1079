package dev.rollguard.alert.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollguard.alert.config.AlertConfig;
import dev.rollguard.alert.domain.TransitionDelivery;
import dev.rollguard.alert.publisher.AlertHub;
import dev.rollguard.alert.repository.AlertQuery;
import dev.rollguard.alert.repository.AlertRepository;
import dev.rollguard.alert.repository.AlertRepository.Redelivery;
import dev.rollguard.alert.repository.AlertRepository.ViewRow;
import dev.rollguard.http.error.ApiException;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** Alert queries and the live stream of alert transitions. */
@ApplicationScoped
public class AlertService {

    private static final int STREAM_PAGE = 500;

    private final AlertRepository alerts;
    private final AlertHub hub;
    private final AlertConfig config;
    private final ObjectMapper json;

    public AlertService(AlertRepository alerts, AlertHub hub, AlertConfig config, ObjectMapper json) {
        this.alerts = alerts;
        this.hub = hub;
        this.config = config;
        this.json = json;
    }

    /** Alerts currently firing (latest transition per fingerprint is FIRING), newest first. */
    public Uni<List<ObjectNode>> active(AlertQuery query) {
        return alerts.active(query).map(this::views);
    }

    /** Every transition matching the query, newest first. */
    public Uni<List<ObjectNode>> history(AlertQuery query) {
        return alerts.history(query).map(this::views);
    }

    /**
     * Transitions after {@code lastEventId} (or, without one, after the newest stored now), oldest first, then live
     * as they are stored. Each subscriber reads from its own cursor, woken by the hub and by a periodic tick, so a
     * reconnecting client with {@code Last-Event-ID} misses nothing and sees nothing twice.
     */
    public Multi<ViewRow> stream(Long lastEventId) {
        Uni<Long> start = lastEventId != null ? Uni.createFrom().item(lastEventId) : alerts.lastSeq();
        return start.onItem().transformToMulti(from -> {
            AtomicLong cursor = new AtomicLong(from);
            Multi<Long> wakeUps = Multi.createBy()
                    .merging()
                    .streams(
                            Multi.createFrom().item(0L),
                            hub.signals(),
                            Multi.createFrom().ticks().every(config.relay().interval()))
                    .onOverflow()
                    .dropPreviousItems();
            return wakeUps.onItem()
                    .transformToUniAndConcatenate(
                            wake -> alerts.after(cursor.get(), STREAM_PAGE).invoke(rows -> {
                                if (!rows.isEmpty()) {
                                    cursor.set(rows.get(rows.size() - 1).seq());
                                    if (rows.size() == STREAM_PAGE) {
                                        hub.signal(); // more to read: go on without waiting for the tick
                                    }
                                }
                            }))
                    .onItem()
                    .transformToMultiAndConcatenate(rows -> Multi.createFrom().iterable(rows));
        });
    }

    /**
     * Puts a dead-lettered transition back in the outbox, so that the relay's next poll sends it, when it is still the
     * latest transition of its alert: an older one would reach the topic after its alert's newer state. Answers the
     * transition as it is now; 404 {@code ALERT_TRANSITION_NOT_FOUND}, 409 {@code NOT_DEAD_LETTERED} or {@code
     * NOT_LATEST_TRANSITION}.
     */
    public Uni<ObjectNode> redeliver(long seq, String by) {
        return alerts.redeliver(seq).map(redelivery -> switch (redelivery.outcome()) {
            case NOT_FOUND ->
                throw new ApiException(404, "ALERT_TRANSITION_NOT_FOUND", "no alert transition with seq " + seq);
            case NOT_DEAD_LETTERED ->
                throw new ApiException(
                        409,
                        "NOT_DEAD_LETTERED",
                        "alert transition " + seq + " is "
                                + redelivery.row().delivery().state()
                                + ", not DEAD_LETTERED: only a dead-lettered transition is sent again");
            case NOT_LATEST ->
                throw new ApiException(
                        409,
                        "NOT_LATEST_TRANSITION",
                        "alert transition " + seq + " is not the latest of its alert (fingerprint "
                                + redelivery.row().fingerprint() + "): sent now, it would reach the alerts topic after"
                                + " its alert's newer state");
            case REDELIVERED -> redelivered(redelivery, by);
        });
    }

    private ObjectNode redelivered(Redelivery redelivery, String by) {
        ViewRow row = redelivery.row();
        Log.infof(
                "dead-lettered alert transition seq %d (fingerprint %s) put back in the outbox by %s: the relay's"
                        + " next poll sends it, or dead-letters it again if Kafka still refuses it",
                row.seq(), row.fingerprint(), by);
        return view(row);
    }

    private List<ObjectNode> views(List<ViewRow> rows) {
        return rows.stream().map(this::view).toList();
    }

    /**
     * The alert's JSON view with its sequence number (the SSE event id) and its delivery to Kafka: {@code {"state":
     * "PENDING"|"PUBLISHED"|"DEAD_LETTERED", "at", "reason"}}, {@code at} absent while pending, {@code reason} only
     * when dead-lettered.
     */
    public ObjectNode view(ViewRow row) {
        try {
            ObjectNode node = (ObjectNode) json.readTree(row.json());
            node.put("seq", row.seq());
            TransitionDelivery delivery = row.delivery();
            ObjectNode out = node.putObject("delivery");
            out.put("state", delivery.state().name());
            if (delivery.at() != null) {
                out.put("at", delivery.at().toString());
            }
            if (delivery.reason() != null) {
                out.put("reason", delivery.reason());
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored alert " + row.seq() + " is not JSON", e);
        }
    }
}
