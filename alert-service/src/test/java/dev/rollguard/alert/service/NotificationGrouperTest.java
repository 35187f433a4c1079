package dev.rollguard.alert.service;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rollguard.alert.config.AlertConfig;
import dev.rollguard.alert.config.InstanceIdentity;
import dev.rollguard.alert.domain.grouping.GroupPolicy;
import dev.rollguard.alert.domain.notify.NotificationTopic;
import dev.rollguard.alert.domain.notify.ReceiverKind;
import dev.rollguard.alert.domain.silence.Silence;
import dev.rollguard.alert.mapping.WebhookPayload;
import dev.rollguard.alert.repository.NotificationGroupRepository;
import dev.rollguard.alert.repository.NotificationGroupRepository.ClaimedGroup;
import dev.rollguard.alert.repository.NotificationGroupRepository.Flushed;
import dev.rollguard.alert.repository.NotificationGroupRepository.Member;
import dev.rollguard.alert.repository.NotificationGroupRepository.Outcome;
import dev.rollguard.alert.service.WebhookRegistry.Receiver;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.smallrye.mutiny.Uni;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * What a flush round does once its transaction committed, with the database left out: the round's storage is a
 * stand-in that only asks the grouper to decide one group, as the repository does in its transaction.
 */
class NotificationGrouperTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant NOW = Instant.parse("2026-06-11T10:00:00Z");
    private static final GroupPolicy GROUPING = new GroupPolicy(
            GroupPolicy.DEFAULT_GROUP_BY, Duration.ofSeconds(1), Duration.ofMinutes(1), Duration.ofHours(1));

    @Test
    void aFailingActionAfterTheCommitIsLoggedAndKeepsNeitherTheOthersNorTheDispatchersKickFromRunning()
            throws JsonProcessingException {
        // The meter registry fails for the dropped resolutions' counter, the round's first action after its commit.
        MeterRegistry meters = new SimpleMeterRegistry();
        meters.config().meterFilter(new MeterFilter() {
            @Override
            public Meter.Id map(Meter.Id id) {
                if (id.getName().equals("rollguard.alert.webhook.resolutions.dropped")) {
                    throw new IllegalStateException("meter registry unavailable");
                }
                return id;
            }
        });
        AtomicInteger kicks = new AtomicInteger();
        WebhookRegistry registry = new WebhookRegistry();
        registry.replace(List.of(new Receiver(
                "hook-1",
                "team",
                "http://127.0.0.1:1/x",
                "secret",
                Set.of(),
                GROUPING,
                ReceiverKind.GENERIC,
                Set.of(NotificationTopic.ALERTS),
                null,
                List.of())));
        // A group with an alert still firing (so it is notified) and a resolution carried long enough (so it is
        // dropped).
        Instant resolvedAt = NOW.minus(Duration.ofHours(3));
        ClaimedGroup group = new ClaimedGroup(
                "hook-1",
                "group-1",
                "{}:{rule_id=\"slow\"}",
                "{\"rule_id\":\"slow\"}",
                true,
                NOW.minus(Duration.ofMinutes(5)),
                List.of(
                        new Member("f1", 1, "a1", true, alert("f1", "firing"), NOW, null, false),
                        new Member(
                                "f2",
                                2,
                                "a2",
                                false,
                                alert("f2", "resolved"),
                                resolvedAt,
                                resolvedAt.plus(Duration.ofHours(2)),
                                false)));
        NotificationGrouper grouper = new NotificationGrouper(
                new OneGroup(group),
                new NoSilences(),
                registry,
                new WebhookDispatcher(null, registry, null, null, null, new InstanceIdentity()) {
                    @Override
                    public void kick() {
                        kicks.incrementAndGet();
                    }
                },
                config(),
                JSON,
                meters);
        List<LogRecord> errors = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                if (record.getThrown() != null) {
                    errors.add(record);
                }
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        Logger.getLogger("").addHandler(capture);
        try {
            Flushed flushed = grouper.flush(NOW).await().atMost(Duration.ofSeconds(5));

            assertThat(flushed.notifications()).isEqualTo(1);
            assertThat(kicks)
                    .as("the dispatcher is kicked for the notification written")
                    .hasValue(1);
            assertThat(meters.get("rollguard.alert.webhook.notifications")
                            .tag("reason", "changed")
                            .counter()
                            .count())
                    .as("the action after the failing one ran")
                    .isEqualTo(1.0);
            assertThat(errors)
                    .as("the failure logged with its exception")
                    .anySatisfy(record -> assertThat(record.getThrown()).hasMessage("meter registry unavailable"));
        } finally {
            Logger.getLogger("").removeHandler(capture);
        }
    }

    private static String alert(String fingerprint, String status) throws JsonProcessingException {
        return JSON.writeValueAsString(new WebhookPayload.Alert(
                status,
                Map.of("alertname", "Slow", "rule_id", "slow"),
                Map.of(),
                "2026-06-11T07:00:00Z",
                "firing".equals(status) ? WebhookPayload.ZERO_TIME : "2026-06-11T07:01:00Z",
                "https://console.rollguard.test/alerts",
                fingerprint));
    }

    /** The configuration the grouper reads: the console's URL and no limit of alerts per notification. */
    private static AlertConfig config() {
        AlertConfig.Webhooks webhooks = stub(
                AlertConfig.Webhooks.class,
                Map.of("consoleUrl", "https://console.rollguard.test", "maxAlertsPerNotification", 0));
        return stub(AlertConfig.class, Map.of("webhooks", webhooks));
    }

    private static <T> T stub(Class<T> type, Map<String, Object> values) {
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
            if (!values.containsKey(method.getName())) {
                throw new UnsupportedOperationException(method.getName());
            }
            return values.get(method.getName());
        }));
    }

    /** Claims the one group and stores nothing: the round's transaction, committed. */
    private static final class OneGroup extends NotificationGroupRepository {
        private final ClaimedGroup group;

        OneGroup(ClaimedGroup group) {
            super(null);
            this.group = group;
        }

        @Override
        public Uni<Flushed> flush(
                List<String> webhookIds, Instant now, int limit, Function<ClaimedGroup, Outcome> decide) {
            return Uni.createFrom().item(() -> {
                Outcome outcome = decide.apply(group);
                return new Flushed(1, outcome.deliveries().size());
            });
        }
    }

    private static final class NoSilences extends SilenceService {
        NoSilences() {
            super(null, null);
        }

        @Override
        public Uni<List<Silence>> active(Instant now) {
            return Uni.createFrom().item(List.of());
        }
    }
}
