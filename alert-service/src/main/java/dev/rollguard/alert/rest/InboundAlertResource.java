package dev.rollguard.alert.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rollguard.alert.domain.inbound.InboundOutcome;
import dev.rollguard.alert.domain.inbound.InboundOutcome.Kind;
import dev.rollguard.alert.service.InboundAlertService;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.time.Instant;
import java.util.List;

/**
 * Alerts in: {@code POST /api/alerts/inbound} takes an Alertmanager webhook body or the generic shape ({@link
 * InboundAlertParser}). Answers 200 with what became of each alert once every transition is stored (published on the
 * {@code alerts} topic right after), so a sender that retries on failure loses none; alerts Rollguard does not act on
 * are answered {@code IGNORED}, and alerts that cannot be read {@code REJECTED}, not refused: Alertmanager does not
 * retry a 4xx, so refusing the body would lose the good alerts of the group with the bad one.
 */
@Path(InboundAlertResource.PATH)
public class InboundAlertResource {

    /** The endpoint; the inbound tokens may call nothing else. */
    public static final String PATH = "/api/alerts/inbound";

    /** The answer: counts by outcome and each alert's outcome, in request order. */
    public record InboundResponse(
            int received,
            int firing,
            int resolved,
            int duplicates,
            int ignored,
            int rejected,
            List<InboundOutcome> alerts) {

        static InboundResponse of(List<InboundOutcome> outcomes) {
            return new InboundResponse(
                    outcomes.size(),
                    count(outcomes, Kind.FIRING),
                    count(outcomes, Kind.RESOLVED),
                    count(outcomes, Kind.DUPLICATE),
                    count(outcomes, Kind.IGNORED),
                    count(outcomes, Kind.REJECTED),
                    outcomes);
        }

        private static int count(List<InboundOutcome> outcomes, Kind kind) {
            return (int) outcomes.stream().filter(o -> o.outcome() == kind).count();
        }
    }

    private final InboundAlertService inbound;
    private final ObjectMapper json;

    public InboundAlertResource(InboundAlertService inbound, ObjectMapper json) {
        this.inbound = inbound;
        this.json = json;
    }

    /** Read as text and parsed here, so a body that is not JSON is answered like every other bad body. */
    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Uni<InboundResponse> receive(String body) {
        JsonNode tree;
        try {
            tree = body == null || body.isBlank() ? null : json.readTree(body);
        } catch (JsonProcessingException e) {
            throw ValidationMappers.notJson(e);
        }
        InboundAlertParser.Parsed parsed = InboundAlertParser.parse(tree, Instant.now());
        return inbound.receive(parsed.alerts(), parsed.rejected()).map(InboundResponse::of);
    }
}
