package dev.rollguard.console.listener;

import dev.rollguard.console.live.LiveHistory;
import dev.rollguard.console.view.AlertRow;
import dev.rollguard.console.view.RollbackRow;
import dev.rollguard.console.view.RolloutStep;
import dev.rollguard.console.view.WindowPoint;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.event.RollbackActionEvent;
import dev.rollguard.schemas.event.RolloutActionEvent;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import dev.rollguard.schemas.serde.AvroCodec;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.function.Consumer;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * Reads the topics the live views show (windows, alerts, the guard's actions, the promoter's steps, and flag changes
 * so that a flag's page follows its rollout), in the console's own consumer group. The console only watches: a
 * record it cannot read is logged, counted and skipped (there is nothing to dead-letter for a viewer, and the
 * services that own these topics already handle their bad input).
 */
@ApplicationScoped
public class TopicListener {

    public static final String WINDOWS = "windows";
    public static final String ALERTS = "alerts";
    public static final String ROLLBACKS = "rollbacks";
    public static final String ROLLOUTS = "rollouts";
    public static final String FLAGS = "flags";

    private final AvroCodec<WindowMetricsEvent> windowCodec = AvroCodec.of(WindowMetricsEvent.class);
    private final AvroCodec<AlertEvent> alertCodec = AvroCodec.of(AlertEvent.class);
    private final AvroCodec<RollbackActionEvent> rollbackCodec = AvroCodec.of(RollbackActionEvent.class);
    private final AvroCodec<RolloutActionEvent> rolloutCodec = AvroCodec.of(RolloutActionEvent.class);
    private final AvroCodec<FlagChangedEvent> flagCodec = AvroCodec.of(FlagChangedEvent.class);
    private final LiveHistory history;
    private final MeterRegistry registry;

    public TopicListener(LiveHistory history, MeterRegistry registry) {
        this.history = history;
        this.registry = registry;
    }

    @Incoming(WINDOWS)
    public void window(byte[] value) {
        read(WINDOWS, value, windowCodec, event -> {
            WindowPoint point = WindowPoint.of(event);
            if (point != null) {
                history.add(point);
            }
        });
    }

    @Incoming(ALERTS)
    public void alert(byte[] value) {
        read(ALERTS, value, alertCodec, event -> history.add(AlertRow.of(event)));
    }

    @Incoming(ROLLBACKS)
    public void rollback(byte[] value) {
        read(ROLLBACKS, value, rollbackCodec, event -> history.add(RollbackRow.of(event)));
    }

    @Incoming(ROLLOUTS)
    public void rollout(byte[] value) {
        read(ROLLOUTS, value, rolloutCodec, event -> history.add(RolloutStep.of(event)));
    }

    @Incoming(FLAGS)
    public void flag(byte[] value) {
        read(FLAGS, value, flagCodec, event -> history.flagChanged(event.getFlagKey(), event.getVersion()));
    }

    private <T extends org.apache.avro.specific.SpecificRecord> void read(
            String channel, byte[] value, AvroCodec<T> codec, Consumer<T> use) {
        if (value == null) {
            return;
        }
        T event;
        try {
            event = codec.decode(value);
        } catch (RuntimeException e) {
            Log.warnf("skipped an unreadable record on %s: %s", channel, e.getMessage());
            registry.counter("rollguard.console.records.skipped", "channel", channel)
                    .increment();
            return;
        }
        use.accept(event);
        registry.counter("rollguard.console.records", "channel", channel).increment();
    }
}
