package dev.rollguard.rollback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rollguard.infra.InfraTestResource;
import dev.rollguard.rollback.service.RollbackService;
import dev.rollguard.rollback.testing.Alerts;
import dev.rollguard.rollback.testing.Api;
import dev.rollguard.rollback.testing.FakeFlagService;
import dev.rollguard.rollback.testing.FakeFlagServiceResource;
import dev.rollguard.rollback.testing.InjectFakeFlagService;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.trace.TraceContext;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import org.jboss.logmanager.ExtLogRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An alert that waited in its flag's lane for an earlier alert is handled on its own record's context: its log lines
 * carry its own record's trace id, not the one of the alert before it.
 */
@QuarkusTest
@QuarkusTestResource(
        value = InfraTestResource.class,
        initArgs = @ResourceArg(name = InfraTestResource.DATABASE, value = "rollguard_rollbacks"))
@QuarkusTestResource(FakeFlagServiceResource.class)
class AlertLogContextTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @InjectFakeFlagService
    FakeFlagService flagService;

    /** A line the guard logged, as formatted, with the trace id of the log MDC at the time. */
    private record Line(String text, String traceId) {}

    private final List<Line> lines = new CopyOnWriteArrayList<>();
    private final Logger logger = Logger.getLogger(RollbackService.class.getName());
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            if (record instanceof ExtLogRecord ext) {
                Object traceId = ext.getMdc(TraceContext.MDC_TRACE_ID);
                lines.add(new Line(ext.getFormattedMessage(), traceId == null ? "" : traceId.toString()));
            }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };

    private String flag;

    @BeforeEach
    void captureLog() {
        logger.addHandler(capture);
    }

    @AfterEach
    void release() {
        logger.removeHandler(capture);
        if (flag != null) {
            flagService.acceptChanges(flag);
        }
    }

    /** The trace ids of the guard's log lines about this action. */
    private Set<String> traceIdsOf(String actionId) {
        return lines.stream()
                .filter(line -> line.text().contains("alert " + actionId + " ")
                        || line.text().contains("alert " + actionId + ":"))
                .map(Line::traceId)
                .collect(Collectors.toSet());
    }

    @Test
    void anAlertThatWaitedForAnEarlierAlertOfItsFlagLogsUnderItsOwnTraceId() {
        flag = "flag-" + UUID.randomUUID();
        flagService.define(flag, "KILL");
        flagService.failChanges(flag, 500);
        AlertEvent first = Alerts.critical(flag).build();
        AlertEvent second = Alerts.critical(flag).build();
        String firstId = Alerts.actionId(first);
        String secondId = Alerts.actionId(second);

        Alerts.send(first, second);
        // The first alert waits for the flag-service; the second is read and waits behind it in the flag's lane.
        await().atMost(TIMEOUT).until(() -> flagService.writes(flag).size() >= 2);
        await().atMost(TIMEOUT).until(() -> Api.metric("rollguard_rollback_alerts_waiting") >= 1);
        flagService.acceptChanges(flag);
        await().atMost(TIMEOUT).until(() -> Api.doneOutcome(firstId) != null && Api.doneOutcome(secondId) != null);

        Set<String> firstTrace = traceIdsOf(firstId);
        Set<String> secondTrace = traceIdsOf(secondId);
        assertThat(firstTrace).singleElement().asString().isNotBlank();
        assertThat(secondTrace)
                .as("the second alert's lines carry one trace id, its own record's")
                .singleElement()
                .asString()
                .isNotBlank()
                .isNotEqualTo(firstTrace.iterator().next());
    }
}
