package dev.rollguard.alert.service;

import dev.rollguard.http.KafkaReadinessCheck;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.health.Readiness;

/** This service's Kafka readiness check: service-http's {@link KafkaReadinessCheck} against its brokers. */
@Readiness
@Singleton
public class BrokerReadiness extends KafkaReadinessCheck {

    public BrokerReadiness(@ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers) {
        super(bootstrapServers);
    }
}
