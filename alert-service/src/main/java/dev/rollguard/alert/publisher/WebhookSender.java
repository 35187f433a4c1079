package dev.rollguard.alert.publisher;

import dev.rollguard.alert.config.AlertConfig;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.core.buffer.Buffer;
import io.vertx.mutiny.ext.web.client.WebClient;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * One delivery attempt to a webhook: a non-blocking POST (Vert.x web client) of the stored payload, signed with
 * HMAC-SHA256 of the body under the webhook's secret. Connections are pooled per receiver host, so a slow receiver
 * only holds its own connections.
 */
@ApplicationScoped
public class WebhookSender {

    /** {@code sha256=<hex HMAC-SHA256 of the raw body, keyed with the webhook's secret>}. */
    public static final String SIGNATURE_HEADER = "X-Rollguard-Signature";
    /** Id of the delivery: the same on every retry, for receivers that deduplicate. */
    public static final String DELIVERY_HEADER = "X-Rollguard-Delivery";

    /** A receiver answered with a status other than 2xx. */
    public static final class DeliveryFailedException extends RuntimeException {
        private final int statusCode;

        public DeliveryFailedException(int statusCode) {
            super("receiver answered HTTP " + statusCode, null, false, false);
            this.statusCode = statusCode;
        }

        public int statusCode() {
            return statusCode;
        }
    }

    private final WebClient client;
    private final AlertConfig config;

    public WebhookSender(Vertx vertx, AlertConfig config) {
        this.config = config;
        int timeoutMillis = (int) config.webhooks().timeout().toMillis();
        this.client = WebClient.create(
                vertx,
                new WebClientOptions()
                        .setConnectTimeout(timeoutMillis)
                        .setMaxPoolSize(Math.max(1, config.webhooks().maxInFlightPerReceiver()))
                        .setKeepAlive(true)
                        .setUserAgent("rollguard-alert-service"));
    }

    @PreDestroy
    void close() {
        client.close();
    }

    /**
     * Posts {@code body} to {@code url} (a receiver's URL with the endpoint's path), signed under {@code secret}; the
     * item is the 2xx status, a
     * non-2xx status fails with {@link DeliveryFailedException}.
     */
    public Uni<Integer> post(String url, String secret, long deliveryId, String body) {
        return Uni.createFrom().deferred(() -> client.requestAbs(HttpMethod.POST, url)
                .timeout(config.webhooks().timeout().toMillis())
                .putHeader("Content-Type", "application/json")
                .putHeader(SIGNATURE_HEADER, "sha256=" + sign(secret, body))
                .putHeader(DELIVERY_HEADER, Long.toString(deliveryId))
                .sendBuffer(Buffer.buffer(body))
                .map(response -> {
                    if (response.statusCode() / 100 != 2) {
                        throw new DeliveryFailedException(response.statusCode());
                    }
                    return response.statusCode();
                }));
    }

    /** Hex HMAC-SHA256 of {@code body} under {@code secret}, as receivers recompute it. */
    public static String sign(String secret, String body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(body.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is part of every Java runtime", e);
        }
    }
}
