package dev.rollguard.console.rest;

import dev.rollguard.console.live.LiveEvent;
import dev.rollguard.console.live.LiveHistory;
import dev.rollguard.console.view.AlertRow;
import dev.rollguard.console.view.Marker;
import dev.rollguard.console.view.RollbackRow;
import dev.rollguard.console.view.RolloutStep;
import io.smallrye.mutiny.Multi;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import java.time.Duration;
import java.util.Map;

/**
 * Server-Sent Events for open pages: rendered table rows for the alert and rollback lists (swapped in by htmx), and
 * JSON for a flag's live charts. A comment every 15 s keeps idle connections open through proxies.
 */
@Path("/live")
public class LiveResource {

    private static final Duration HEARTBEAT = Duration.ofSeconds(15);
    /** Events held for a slow browser before its stream fails (it then reconnects and reloads the history). */
    private static final int BUFFER = 1024;

    private final LiveHistory history;

    public LiveResource(LiveHistory history) {
        this.history = history;
    }

    /** {@code alert} and {@code rollback} events whose data is the table row to insert. */
    @GET
    @Path("events")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    public Multi<OutboundSseEvent> events(@Context Sse sse) {
        Multi<OutboundSseEvent> rows = history.stream()
                .onOverflow()
                .buffer(BUFFER)
                .filter(e -> e.kind().equals("alert") || e.kind().equals("rollback"))
                .map(e -> sse.newEventBuilder()
                        .name(e.kind())
                        .mediaType(MediaType.TEXT_HTML_TYPE)
                        .data(oneLine(
                                e.payload() instanceof AlertRow a
                                        ? Pages.alertRow(a).render()
                                        : Pages.rollbackRow((RollbackRow) e.payload())
                                                .render()))
                        .build());
        return withHeartbeat(rows, sse);
    }

    /**
     * For one flag, as JSON: {@code window} (a window point), {@code marker} (an alert, an automatic action or a step
     * of the promoter) and {@code flag} (the flag changed: its key and new version).
     */
    @GET
    @Path("flags/{key}")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    public Multi<OutboundSseEvent> flag(@PathParam("key") String key, @Context Sse sse) {
        Multi<OutboundSseEvent> events = history.stream()
                .onOverflow()
                .buffer(BUFFER)
                .filter(e -> key.equals(e.flagKey()))
                .map(e -> sse.newEventBuilder()
                        .name(e.kind().equals("window") || e.kind().equals("flag") ? e.kind() : "marker")
                        .mediaType(MediaType.APPLICATION_JSON_TYPE)
                        .data(payload(e))
                        .build());
        return withHeartbeat(events, sse);
    }

    private static Object payload(LiveEvent e) {
        if (e.payload() instanceof AlertRow a) {
            return Marker.of(a).map(Object.class::cast).orElse(Map.of());
        }
        if (e.payload() instanceof RollbackRow r) {
            return Marker.of(r).map(Object.class::cast).orElse(Map.of());
        }
        if (e.payload() instanceof RolloutStep step) {
            return Marker.of(step).map(Object.class::cast).orElse(Map.of());
        }
        return e.payload();
    }

    private static Multi<OutboundSseEvent> withHeartbeat(Multi<OutboundSseEvent> events, Sse sse) {
        Multi<OutboundSseEvent> heartbeat = Multi.createFrom()
                .ticks()
                .every(HEARTBEAT)
                .map(tick -> sse.newEventBuilder().comment("keep-alive").build());
        return Multi.createBy().merging().streams(events, heartbeat);
    }

    private static String oneLine(String html) {
        return html.replace('\n', ' ').replace('\r', ' ');
    }
}
