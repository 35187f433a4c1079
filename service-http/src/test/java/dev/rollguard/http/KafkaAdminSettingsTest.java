package dev.rollguard.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KafkaAdminSettingsTest {

    @Test
    void aServicesClientSettingsKeepTheBrokersAndSecurityAndDropTheRest() {
        Map<String, Object> settings = KafkaAdminSettings.of(
                Map.of(
                        "bootstrap.servers", "kafka-0:9093",
                        "security.protocol", "SASL_SSL",
                        "sasl.mechanism", "SCRAM-SHA-512",
                        "sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required;",
                        "ssl.truststore.location", "/etc/kafka/truststore.p12",
                        "group.id", "alert-service",
                        "key.deserializer", "org.apache.kafka.common.serialization.StringDeserializer",
                        "request.timeout.ms", 30_000),
                Duration.ofMillis(750),
                "readiness-check");

        assertThat(settings)
                .containsEntry("bootstrap.servers", "kafka-0:9093")
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                .containsKey("sasl.jaas.config")
                .containsEntry("ssl.truststore.location", "/etc/kafka/truststore.p12")
                .containsEntry("request.timeout.ms", 750)
                .containsEntry("default.api.timeout.ms", 750)
                .containsEntry("client.id", "readiness-check")
                .doesNotContainKeys("group.id", "key.deserializer");
    }
}
