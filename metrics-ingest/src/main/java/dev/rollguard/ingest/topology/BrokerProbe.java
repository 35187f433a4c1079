package dev.rollguard.ingest.topology;

import dev.rollguard.http.KafkaAdminSettings;
import dev.rollguard.ingest.config.IngestConfig;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;

/**
 * Asks the broker every {@code windows.broker-probe-interval} whether it is there (an admin {@code describeCluster})
 * and records each answer in {@link BrokerReachability}, the clock of the input partitions' idle time.
 *
 * <p>Kafka Streams gives no signal of its own that is fit for this: while the broker is down its stream threads stay
 * RUNNING, keep polling (fetches fail and return nothing) and keep running wall-clock punctuations, so from inside the
 * topology an outage looks exactly like silent partitions. The probe uses the service's Kafka client configuration
 * (bootstrap servers and security settings, as the intake does), so an answer means the service can reach the broker.
 */
@ApplicationScoped
public class BrokerProbe {

    private final BrokerReachability reachability;
    private final Duration interval;
    private final Map<String, Object> kafka;
    private ScheduledExecutorService scheduler;
    private Admin admin;
    /** Wall-clock time of the first unanswered probe since the last answer; 0 while the broker answers. */
    private long unansweredSince;

    public BrokerProbe(
            BrokerReachability reachability,
            IngestConfig config,
            @Identifier("default-kafka-broker") Map<String, Object> kafka) {
        this.reachability = reachability;
        this.interval = config.windows().brokerProbeInterval();
        this.kafka = kafka;
    }

    void onStart(@Observes StartupEvent event) {
        Map<String, Object> settings = new HashMap<>(KafkaAdminSettings.of(kafka, interval, "broker-probe"));
        settings.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, (int) Math.max(1, interval.toMillis()));
        admin = Admin.create(settings);
        scheduler = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "broker-probe");
            thread.setDaemon(true);
            return thread;
        });
        scheduler.scheduleWithFixedDelay(this::probe, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    void onStop(@Observes ShutdownEvent event) {
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
        if (admin != null) {
            admin.close(Duration.ZERO);
        }
    }

    private void probe() {
        long sent = System.currentTimeMillis();
        try {
            admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) Math.max(1, interval.toMillis())))
                    .clusterId()
                    .get(interval.toMillis() * 2, TimeUnit.MILLISECONDS);
            long answered = System.currentTimeMillis();
            reachability.reached(answered);
            if (unansweredSince != 0) {
                Log.infof(
                        "Kafka broker reachable again after %d ms unanswered; idle time of the input partitions"
                                + " runs again",
                        answered - unansweredSince);
                unansweredSince = 0;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            if (unansweredSince == 0) {
                unansweredSince = sent;
                Log.warnf(
                        "Kafka broker unreachable (%s); idle time of the input partitions stands still until it"
                                + " answers",
                        e.getCause() != null ? e.getCause().toString() : e.toString());
            }
        }
    }
}
