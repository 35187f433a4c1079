package dev.rollguard.rollback.listener;

import dev.rollguard.rollback.config.GuardConfig;
import io.quarkus.logging.Log;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Makes sure the alerts dead-letter topic exists before the alerts channel starts: the brokers do not auto-create
 * topics, and a dead-letter send to a missing topic would block the channel. Deployments that declare their topics
 * (Strimzi) turn this off with {@code rollback-service.kafka.create-dead-letter-topic=false}.
 */
@ApplicationScoped
public class DeadLetterTopicInitializer {

    private final GuardConfig config;
    private final String bootstrapServers;

    public DeadLetterTopicInitializer(
            GuardConfig config, @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers) {
        this.config = config;
        this.bootstrapServers = bootstrapServers;
    }

    void onStart(@Observes @Priority(Interceptor.Priority.PLATFORM_BEFORE) StartupEvent start) {
        if (!config.kafka().createDeadLetterTopic()) {
            return;
        }
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
            admin.createTopics(List.of(new NewTopic(
                            AlertListener.DEAD_LETTER_TOPIC,
                            config.kafka().deadLetterPartitions(),
                            config.kafka().deadLetterReplicationFactor())))
                    .all()
                    .get(30, TimeUnit.SECONDS);
            Log.infof("created dead-letter topic %s", AlertListener.DEAD_LETTER_TOPIC);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                Log.warnf("could not create dead-letter topic %s: %s", AlertListener.DEAD_LETTER_TOPIC, e.getCause());
            }
        } catch (TimeoutException e) {
            Log.warnf("could not create dead-letter topic %s in time: %s", AlertListener.DEAD_LETTER_TOPIC, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
