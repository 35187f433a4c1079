package dev.rollguard.flag.rest;

import static dev.rollguard.flag.domain.TokenKind.ADMIN;
import static dev.rollguard.flag.domain.TokenKind.CLIENT;
import static dev.rollguard.flag.domain.TokenKind.SERVICE;

import dev.rollguard.flag.config.FlagServiceConfig;
import dev.rollguard.flag.service.FlagSnapshot;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.ext.web.RoutingContext;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import java.time.Duration;
import java.util.Objects;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * Change notifications in the OFREP event-stream style (ADR 0008): each change of the snapshot sends {@code
 * {"type":"refetchEvaluation","etag":"\"<revision>\"","lastModified":<epoch seconds>}} with the revision as event
 * id, telling the client to re-fetch its bulk evaluation. A subscriber that cannot keep up gets only the latest.
 *
 * <p>A stream lasts as long as the credential that opened it: it ends (the response completes) when that API token is
 * revoked or, a bootstrap token, given another secret (a stream URL is bound to the secret it was issued under; one
 * handed out by the release before the binding is not, and its streams end when the token is revoked or the time its
 * secret was set changes), on this instance at
 * once and on the others at their next token reload. A client that reconnects with it
 * then gets a 401. It outlives its stream token's expiry, which refuses only reconnects: all URLs of one period expire
 * at the same instant, and their streams would otherwise all end and reconnect together.
 */
@Path(OfrepResource.EVENTS_PATH)
@Tag(name = "OFREP", description = "OpenFeature Remote Evaluation Protocol")
public class FlagEventsResource {

    private final FlagSnapshot snapshot;
    private final FlagServiceConfig config;

    public FlagEventsResource(FlagSnapshot snapshot, FlagServiceConfig config) {
        this.snapshot = snapshot;
        this.config = config;
    }

    @GET
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @Access(
            value = {CLIENT, ADMIN, SERVICE},
            streamToken = true)
    @StreamTokenCatchUp
    @Operation(
            summary = "Flag change notifications (server-sent events)",
            description = "A token header, or the stream token of the URL advertised in the bulk evaluation's"
                    + " eventStreams (?token=, for browsers' EventSource); 401 when it is missing, expired, tampered"
                    + " with, its API token is revoked or has been given another secret since the URL was issued. The"
                    + " stream ends when its API token is revoked or given another secret.")
    public Multi<OutboundSseEvent> events(@Context Sse sse, RoutingContext routing) {
        Uni<Void> credentialEnds =
                Objects.requireNonNull(routing.get(AuthFilter.CREDENTIAL_ENDS), "AuthFilter sets the credential's end");
        return stream(snapshot, sse, config.sse().heartbeatInterval(), credentialEnds);
    }

    /**
     * The events of one stream: a {@code connected} comment naming the revision held when it opened, a refetch event
     * for every change applied from then on, heartbeats, until {@code credentialEnds} completes.
     */
    static Multi<OutboundSseEvent> stream(
            FlagSnapshot snapshot, Sse sse, Duration heartbeatInterval, Uni<Void> credentialEnds) {
        // A client that cannot keep up gets only the latest change it missed (FlagSnapshot.changes).
        Multi<OutboundSseEvent> changes = snapshot.changes().map(state -> sse.newEventBuilder()
                .id(state.revision())
                .name("message")
                .data(String.class, refetch(state))
                .build());
        // Read when subscribed, after the changes are (the merge subscribes in order): a change applied just before
        // the read is in the revision named, and one applied just after is sent. Read first, a change applied between
        // the read and the subscription would reach this stream never.
        Multi<OutboundSseEvent> connected = Multi.createFrom().item(() -> sse.newEventBuilder()
                .comment("connected " + snapshot.current().revision())
                .build());
        Multi<OutboundSseEvent> heartbeats = Multi.createFrom()
                .ticks()
                .every(heartbeatInterval)
                .map(tick -> sse.newEventBuilder().comment("keep-alive").build());
        // Never sent: it marks where the stream ends.
        OutboundSseEvent end = sse.newEventBuilder().comment("end").build();
        Multi<OutboundSseEvent> ending =
                credentialEnds.onItem().transform(ended -> end).toMulti();
        return Multi.createBy()
                .merging()
                .streams(changes, connected, heartbeats, ending)
                .select()
                .first(event -> event != end);
    }

    static String refetch(FlagSnapshot.State state) {
        return "{\"type\":\"refetchEvaluation\",\"etag\":\"\\\"" + state.revision() + "\\\"\",\"lastModified\":"
                + state.lastModified().getEpochSecond() + "}";
    }
}
