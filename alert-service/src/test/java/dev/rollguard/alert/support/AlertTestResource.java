package dev.rollguard.alert.support;

import dev.rollguard.alert.publisher.DeadLetterPublisher;
import dev.rollguard.infra.EmbeddedKafka;
import dev.rollguard.infra.InfraTestResource;
import dev.rollguard.infra.SharedInfra;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * The shared real broker and database of {@link InfraTestResource}, plus the dead-letter topic of
 * {@code metrics.windows}, which the foundation's topic plan does not create (yet). Every {@code @QuarkusTest} of
 * this module uses exactly this resource, so Quarkus boots once.
 */
public class AlertTestResource extends InfraTestResource {

    public static final String DATABASE_NAME = "rollguard_alerts";

    @Override
    public void init(Map<String, String> initArgs) {
        super.init(Map.of(DATABASE, DATABASE_NAME));
    }

    @Override
    public Map<String, String> start() {
        Map<String, String> config = super.start();
        EmbeddedKafka.createTopics(
                SharedInfra.kafkaBootstrap(), List.of(new NewTopic(DeadLetterPublisher.TOPIC, 1, (short) 1)));
        return config;
    }
}
