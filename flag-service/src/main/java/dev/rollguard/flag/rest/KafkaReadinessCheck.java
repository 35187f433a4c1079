package dev.rollguard.flag.rest;

import dev.rollguard.flag.config.FlagServiceConfig;
import io.quarkus.logging.Log;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.health.api.AsyncHealthCheck;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.KafkaException;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Readiness of the connection to Kafka, answered within {@code flag-service.health.kafka-timeout} however the
 * brokers fail. Replaces the Kafka client extension's check, which waits for the admin client's default API timeout
 * (60 s) when the brokers are down and so holds every readiness probe far past its own timeout.
 */
@Readiness
@ApplicationScoped
public class KafkaReadinessCheck implements AsyncHealthCheck {

    static final String NAME = "Kafka connection health check";

    private final Map<String, Object> adminConfig;
    private final Duration timeout;
    private Admin admin;

    @Inject
    public KafkaReadinessCheck(
            @Identifier("default-kafka-broker") Map<String, Object> kafka, FlagServiceConfig config) {
        this(kafka, config.health().kafkaTimeout());
    }

    KafkaReadinessCheck(Map<String, Object> kafka, Duration timeout) {
        this.timeout = timeout;
        Map<String, Object> admin = kafka.entrySet().stream()
                .filter(e -> AdminClientConfig.configNames().contains(e.getKey()))
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, (a, b) -> b, HashMap::new));
        int millis = (int) timeout.toMillis();
        admin.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, millis);
        admin.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, millis);
        admin.put(AdminClientConfig.CLIENT_ID_CONFIG, "flag-service-health");
        this.adminConfig = Map.copyOf(admin);
        try {
            // Created now, so the first probe does not pay for it; it connects in the background.
            admin();
        } catch (KafkaException e) {
            Log.warnf("Kafka admin client for the readiness check not created yet: %s", e.getMessage());
        }
    }

    @Override
    public Uni<HealthCheckResponse> call() {
        DescribeClusterOptions options = new DescribeClusterOptions().timeoutMs((int) timeout.toMillis());
        Uni<HealthCheckResponse> check = Uni.createFrom()
                .completionStage(() -> admin().describeCluster(options).nodes().toCompletionStage())
                .map(nodes -> HealthCheckResponse.named(NAME)
                        .up()
                        .withData(
                                "nodes",
                                nodes.stream()
                                        .map(n -> n.host() + ":" + n.port())
                                        .collect(Collectors.joining(",")))
                        .build());
        // Bounded here too, so a broker that accepts connections but never answers cannot hold the probe.
        return check.ifNoItem()
                .after(timeout)
                .recoverWithItem(() -> down("no answer from the brokers within " + timeout.toMillis() + " ms"))
                .onFailure()
                .recoverWithItem(e -> down(String.valueOf(e.getMessage())));
    }

    private static HealthCheckResponse down(String reason) {
        return HealthCheckResponse.named(NAME).down().withData("reason", reason).build();
    }

    private synchronized Admin admin() {
        if (admin == null) {
            admin = Admin.create(adminConfig);
        }
        return admin;
    }

    @PreDestroy
    synchronized void close() {
        if (admin != null) {
            admin.close(Duration.ofSeconds(1));
            admin = null;
        }
    }
}
