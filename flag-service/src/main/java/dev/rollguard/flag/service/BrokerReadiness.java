package dev.rollguard.flag.service;

import dev.rollguard.flag.config.FlagServiceConfig;
import dev.rollguard.http.KafkaReadinessCheck;
import io.smallrye.common.annotation.Identifier;
import jakarta.inject.Singleton;
import java.util.Map;
import org.eclipse.microprofile.health.Readiness;

/**
 * This service's Kafka readiness check: service-http's {@link KafkaReadinessCheck} against the brokers of its Kafka
 * client configuration, within {@code flag-service.health.kafka-timeout}.
 */
@Readiness
@Singleton
public class BrokerReadiness extends KafkaReadinessCheck {

    public BrokerReadiness(@Identifier("default-kafka-broker") Map<String, Object> kafka, FlagServiceConfig config) {
        super(kafka, config.health().kafkaTimeout());
    }
}
