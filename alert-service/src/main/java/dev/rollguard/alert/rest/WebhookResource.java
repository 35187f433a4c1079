package dev.rollguard.alert.rest;

import dev.rollguard.alert.api.DeliveryResponse;
import dev.rollguard.alert.api.WebhookRequest;
import dev.rollguard.alert.api.WebhookResponse;
import dev.rollguard.alert.service.WebhookService;
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
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.net.URI;
import java.util.List;
import org.jboss.resteasy.reactive.RestPath;
import org.jboss.resteasy.reactive.RestQuery;
import org.jboss.resteasy.reactive.RestResponse;

/** Webhook CRUD and the record of their deliveries. */
@Path("/api/webhooks")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class WebhookResource {

    private final WebhookService webhooks;

    public WebhookResource(WebhookService webhooks) {
        this.webhooks = webhooks;
    }

    @GET
    public Uni<List<WebhookResponse>> list() {
        return webhooks.list();
    }

    @GET
    @Path("/{id}")
    public Uni<WebhookResponse> get(@RestPath String id) {
        return webhooks.get(id);
    }

    @POST
    public Uni<RestResponse<WebhookResponse>> create(@NotNull @Valid WebhookRequest request) {
        return webhooks.create(request)
                .map(w -> RestResponse.ResponseBuilder.<WebhookResponse>created(URI.create("/api/webhooks/" + w.id()))
                        .entity(w)
                        .build());
    }

    @PUT
    @Path("/{id}")
    public Uni<WebhookResponse> update(@RestPath String id, @NotNull @Valid WebhookRequest request) {
        return webhooks.update(id, request);
    }

    @DELETE
    @Path("/{id}")
    public Uni<RestResponse<Void>> delete(@RestPath String id) {
        return webhooks.delete(id).replaceWith(RestResponse.noContent());
    }

    /** Deliveries to this webhook, newest first; {@code status=FAILED} lists those that exhausted their retries. */
    @GET
    @Path("/{id}/deliveries")
    public Uni<List<DeliveryResponse>> deliveries(
            @RestPath String id,
            @RestQuery String status,
            @RestQuery @DefaultValue("100") @Min(1) @Max(1000) int limit) {
        return webhooks.deliveries(id, status, limit);
    }

    /** Queues a finished (typically FAILED) delivery again. */
    @POST
    @Path("/{id}/deliveries/{deliveryId}/redeliver")
    public Uni<RestResponse<Void>> redeliver(@RestPath String id, @RestPath long deliveryId) {
        return webhooks.redeliver(id, deliveryId).replaceWith(RestResponse.accepted());
    }
}
