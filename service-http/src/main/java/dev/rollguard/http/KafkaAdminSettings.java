package dev.rollguard.http;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * The settings of a short-lived question to the brokers (readiness, reachability): a service's own Kafka client
 * configuration (Quarkus' {@code default-kafka-broker}, so its bootstrap servers and its security settings, SASL or
 * TLS, are the ones its consumers and producers use) kept to the admin client's settings, with every timeout cut to
 * {@code timeout}.
 */
public final class KafkaAdminSettings {

    private KafkaAdminSettings() {}

    public static Map<String, Object> of(Map<String, ?> kafka, Duration timeout, String clientId) {
        Map<String, Object> config = new HashMap<>();
        kafka.forEach((key, value) -> {
            if (AdminClientConfig.configNames().contains(key)) {
                config.put(key, value);
            }
        });
        int millis = (int) Math.max(1, timeout.toMillis());
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, millis);
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, millis);
        config.put(AdminClientConfig.CLIENT_ID_CONFIG, clientId);
        return Map.copyOf(config);
    }
}
