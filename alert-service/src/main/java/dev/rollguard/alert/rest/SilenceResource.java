package dev.rollguard.alert.rest;

import dev.rollguard.alert.api.SilenceRequest;
import dev.rollguard.alert.api.SilenceRequest.MatcherRequest;
import dev.rollguard.alert.api.SilenceResponse;
import dev.rollguard.alert.domain.silence.Matcher;
import dev.rollguard.alert.service.SilenceService;
import dev.rollguard.alert.service.SilenceService.NewSilence;
import dev.rollguard.alert.service.ValidationFailedException;
import dev.rollguard.alert.service.ValidationFailedException.Violation;
import io.smallrye.mutiny.Uni;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.jboss.resteasy.reactive.RestHeader;
import org.jboss.resteasy.reactive.RestPath;
import org.jboss.resteasy.reactive.RestQuery;
import org.jboss.resteasy.reactive.RestResponse;

/**
 * Silences of notifications, as Alertmanager has them: matchers on alert labels, a start, an end, an author and a
 * comment. Only notifications are silenced: a silenced alert still goes to the alerts topic and the rollback-service
 * still acts on it.
 */
@Path("/api/silences")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class SilenceResource {

    private final SilenceService silences;

    public SilenceResource(SilenceService silences) {
        this.silences = silences;
    }

    /** Every silence, newest first: pending, active and ended ones (kept as the record of who silenced what). */
    @GET
    public Uni<List<SilenceResponse>> list(@RestQuery @DefaultValue("100") @Min(1) @Max(1000) int limit) {
        Instant now = Instant.now();
        return silences.list(limit)
                .map(list -> list.stream().map(s -> SilenceResponse.of(s, now)).toList());
    }

    @GET
    @Path("/{id}")
    public Uni<SilenceResponse> get(@RestPath String id) {
        return silences.get(id).map(s -> SilenceResponse.of(s, Instant.now()));
    }

    @POST
    public Uni<RestResponse<SilenceResponse>> create(@NotNull @Valid SilenceRequest request) {
        List<Violation> violations = new ArrayList<>();
        List<Matcher> matchers = new ArrayList<>();
        for (int i = 0; i < request.matchers().size(); i++) {
            MatcherRequest m = request.matchers().get(i);
            boolean regex = Boolean.TRUE.equals(m.isRegex());
            Violation invalid = SilenceService.check(i, m.name(), m.value(), regex);
            if (invalid != null) {
                violations.add(invalid);
            } else {
                matchers.add(new Matcher(m.name(), m.value(), regex, !Boolean.FALSE.equals(m.isEqual())));
            }
        }
        if (!violations.isEmpty()) {
            throw new ValidationFailedException(violations);
        }
        Instant now = Instant.now();
        return silences.create(
                        new NewSilence(
                                matchers, request.startsAt(), request.endsAt(), request.createdBy(), request.comment()),
                        now)
                .map(s -> RestResponse.ResponseBuilder.<SilenceResponse>created(URI.create("/api/silences/" + s.id()))
                        .entity(SilenceResponse.of(s, now))
                        .build());
    }

    /**
     * Ends the silence now (it stays listed, as ended, with {@code expiredBy} from {@code X-Rollguard-Actor}, or
     * "admin token" when the request names nobody); 404 when unknown.
     */
    @DELETE
    @Path("/{id}")
    public Uni<RestResponse<Void>> expire(@RestPath String id, @RestHeader(Actors.HEADER) String actor) {
        String by = Actors.of(actor);
        return silences.expire(id, Instant.now(), by).replaceWith(RestResponse.noContent());
    }
}
