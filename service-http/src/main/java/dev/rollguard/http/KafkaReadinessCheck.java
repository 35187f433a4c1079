package dev.rollguard.http;

import jakarta.annotation.PreDestroy;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Node;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;

/**
 * Readiness: a broker answers within the timeout ({@link #TIMEOUT} unless the service gives its own). It replaces the
 * Kafka extension's own check, which waits for its admin client's default timeout (a minute) while the brokers are
 * down, so that {@code /q/health/ready} keeps answering within 2 s whatever Kafka does.
 *
 * <p>Not a bean of this module: a service turns it on with a {@code @Readiness @Singleton} subclass that passes its
 * Kafka client configuration (and, if it likes, a timeout), so the services
 * that check Kafka otherwise keep their own check.
 */
public class KafkaReadinessCheck implements HealthCheck {

    static final Duration TIMEOUT = Duration.ofMillis(1000);

    private final Map<String, Object> adminConfig;
    private final Duration timeout;
    private Admin admin;

    /** Asks the brokers of a Kafka client configuration ({@link KafkaAdminSettings}), within {@link #TIMEOUT}. */
    protected KafkaReadinessCheck(Map<String, ?> kafka) {
        this(kafka, TIMEOUT);
    }

    /** Asks the brokers of a Kafka client configuration ({@link KafkaAdminSettings}), within {@code timeout}. */
    protected KafkaReadinessCheck(Map<String, ?> kafka, Duration timeout) {
        this.timeout = timeout;
        this.adminConfig = KafkaAdminSettings.of(kafka, timeout, "readiness-check");
        try {
            // Created now, so the first probe does not pay for it; it connects in the background.
            admin();
        } catch (KafkaException notYet) {
            // An address that does not resolve yet (a broker's DNS name before its pod exists): the probe tries again.
        }
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named("Kafka broker");
        try {
            Collection<Node> nodes = admin().describeCluster(
                            new DescribeClusterOptions().timeoutMs((int) timeout.toMillis()))
                    .nodes()
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return response.up()
                    .withData(
                            "nodes",
                            nodes.stream().map(n -> n.host() + ":" + n.port()).collect(Collectors.joining(",")))
                    .build();
        } catch (ExecutionException | TimeoutException e) {
            return response.down()
                    .withData("reason", "no broker answered within " + timeout.toMillis() + " ms")
                    .build();
        } catch (KafkaException e) {
            return response.down()
                    .withData("reason", "no admin client: " + e.getMessage())
                    .build();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return response.down().withData("reason", "interrupted").build();
        }
    }

    private synchronized Admin admin() {
        if (admin == null) {
            admin = Admin.create(adminConfig);
        }
        return admin;
    }

    @PreDestroy
    protected synchronized void close() {
        if (admin != null) {
            admin.close(Duration.ZERO);
            admin = null;
        }
    }
}
