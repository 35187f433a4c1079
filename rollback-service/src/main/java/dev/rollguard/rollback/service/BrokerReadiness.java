package dev.rollguard.rollback.service;

import dev.rollguard.http.KafkaReadinessCheck;
import io.smallrye.common.annotation.Identifier;
import jakarta.inject.Singleton;
import java.util.Map;
import org.eclipse.microprofile.health.Readiness;

/**
 * This service's Kafka readiness check: service-http's {@link KafkaReadinessCheck} against the brokers of its Kafka
 * client configuration (its security settings included).
 */
@Readiness
@Singleton
public class BrokerReadiness extends KafkaReadinessCheck {

    public BrokerReadiness(@Identifier("default-kafka-broker") Map<String, Object> kafka) {
        super(kafka);
    }
}
