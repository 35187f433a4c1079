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
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.Node;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;

/**
 * Readiness: a broker answers within {@link #TIMEOUT}. It replaces the Kafka extension's own check, which waits for
 * its admin client's default timeout (a minute) while the brokers are down, so that {@code /q/health/ready} keeps
 * answering within 2 s whatever Kafka does.
 *
 * <p>Not a bean of this module: a service turns it on with a {@code @Readiness @Singleton} subclass that
 * passes {@code kafka.bootstrap.servers}, so the services that check Kafka otherwise keep their own check.
 */
public class KafkaReadinessCheck implements HealthCheck {

    static final Duration TIMEOUT = Duration.ofMillis(1000);

    private final Admin admin;

    protected KafkaReadinessCheck(String bootstrapServers) {
        int timeout = (int) TIMEOUT.toMillis();
        this.admin = Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, timeout,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, timeout,
                AdminClientConfig.CLIENT_ID_CONFIG, "readiness-check"));
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named("Kafka broker");
        try {
            Collection<Node> nodes = admin.describeCluster(
                            new DescribeClusterOptions().timeoutMs((int) TIMEOUT.toMillis()))
                    .nodes()
                    .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            return response.up()
                    .withData(
                            "nodes",
                            nodes.stream().map(n -> n.host() + ":" + n.port()).collect(Collectors.joining(",")))
                    .build();
        } catch (ExecutionException | TimeoutException e) {
            return response.down()
                    .withData("reason", "no broker answered within " + TIMEOUT.toMillis() + " ms")
                    .build();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return response.down().withData("reason", "interrupted").build();
        }
    }

    @PreDestroy
    protected void close() {
        admin.close(Duration.ZERO);
    }
}
