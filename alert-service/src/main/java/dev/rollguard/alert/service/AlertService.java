package dev.rollguard.alert.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollguard.alert.config.AlertConfig;
import dev.rollguard.alert.publisher.AlertHub;
import dev.rollguard.alert.repository.AlertQuery;
import dev.rollguard.alert.repository.AlertRepository;
import dev.rollguard.alert.repository.AlertRepository.AlertRow;
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
    public Multi<AlertRow> stream(Long lastEventId) {
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

    private List<ObjectNode> views(List<AlertRow> rows) {
        return rows.stream().map(this::view).toList();
    }

    /** The alert's JSON view with its sequence number (the SSE event id). */
    public ObjectNode view(AlertRow row) {
        try {
            ObjectNode node = (ObjectNode) json.readTree(row.json());
            node.put("seq", row.seq());
            return node;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored alert " + row.seq() + " is not JSON", e);
        }
    }
}
