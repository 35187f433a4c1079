package dev.rollguard.alert.support;

import static org.awaitility.Awaitility.await;

import dev.rollguard.infra.SharedInfra;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * A topic of alerts of one application start's own, on the shared broker, that the relay publishes to instead of
 * {@code alerts}: it takes records of at most {@value #MAX_MESSAGE_BYTES} bytes, and a test may delete it for a while
 * ({@link #delete}, {@link #create}), so that Kafka refuses its records for now. The relay gives up on a send after
 * 3 s rather than 2 minutes, and waits at most 1 s for the metadata of a topic.
 */
public class OwnAlertsTopic implements QuarkusTestResourceLifecycleManager {

    /** The configuration property that names the relay's topic. */
    public static final String TOPIC_PROPERTY = "mp.messaging.outgoing.alerts-out.topic";

    public static final int MAX_MESSAGE_BYTES = 8192;

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Override
    public Map<String, String> start() {
        String topic = "alerts.own-" + UUID.randomUUID().toString().substring(0, 8);
        create(topic);
        return Map.of(
                TOPIC_PROPERTY,
                topic,
                "mp.messaging.outgoing.alerts-out.delivery.timeout.ms",
                "3000",
                "mp.messaging.outgoing.alerts-out.request.timeout.ms",
                "1000",
                "mp.messaging.outgoing.alerts-out.max.block.ms",
                "1000");
    }

    @Override
    public void stop() {
        // The broker outlives the application; the topic is one of this start's own.
    }

    /** Creates the topic (one partition, the size limit), once a deletion of it has completed. */
    public static void create(String topic) {
        await().atMost(WAIT).until(() -> {
            try (Admin admin = admin()) {
                admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1)
                                .configs(Map.of("max.message.bytes", Integer.toString(MAX_MESSAGE_BYTES)))))
                        .all()
                        .get(30, TimeUnit.SECONDS);
                return true;
            } catch (ExecutionException e) {
                if (e.getCause() instanceof TopicExistsException) {
                    return false; // still being deleted
                }
                throw e;
            }
        });
    }

    /**
     * Deletes the topic and waits until the broker no longer has it: a record sent to it is refused for now (its
     * metadata never comes: a timeout, a retriable error) until it is created again.
     */
    public static void delete(String topic) {
        try (Admin admin = admin()) {
            admin.deleteTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
            await().atMost(WAIT).until(() -> !admin.listTopics()
                    .names()
                    .get(30, TimeUnit.SECONDS)
                    .contains(topic));
        } catch (ExecutionException | InterruptedException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("deleting topic " + topic + " failed", e);
        }
    }

    private static Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, SharedInfra.kafkaBootstrap()));
    }
}
