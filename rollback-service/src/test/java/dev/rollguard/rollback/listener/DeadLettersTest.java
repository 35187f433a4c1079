package dev.rollguard.rollback.listener;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.rollback.service.GuardMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.KafkaException;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.Metadata;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A record whose dead letter cannot be sent is counted and logged once, and its lane goes on. */
class DeadLettersTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final DeadLetters deadLetters = new DeadLetters(new GuardMetrics(registry));

    private final Logger logger = Logger.getLogger(DeadLetters.class.getName());
    private final List<LogRecord> errors = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            if (record.getLevel().intValue() >= Level.SEVERE.intValue()) {
                errors.add(record);
            }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };

    @BeforeEach
    void captureLog() {
        logger.addHandler(capture);
    }

    @AfterEach
    void releaseLog() {
        logger.removeHandler(capture);
    }

    /** An alert record read from partition 2 of the alerts topic at offset 41, whose nack ends as {@code nack} does. */
    private static Message<String> record(CompletableFuture<Void> nack) {
        ConsumerRecord<String, String> read = new ConsumerRecord<>("alerts", 2, 41L, "flag a", "not an alert");
        return Message.of("not an alert", Metadata.of(new IncomingKafkaRecordMetadata<>(read, "alerts")))
                .withNack(reason -> nack);
    }

    private double failedNacks() {
        Counter counter = registry.find("rollguard.rollback.alerts.nack.failed").counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void aDeadLetterThatCannotBeSentIsCountedAndLoggedOnceWithTheRecordsPosition() {
        CompletableFuture<Void> nack = CompletableFuture.failedFuture(new KafkaException("alerts.dlq unreachable"));

        deadLetters
                .send(record(nack), new IllegalStateException("cannot be handled"))
                .await()
                .atMost(WAIT);

        assertThat(failedNacks()).isEqualTo(1);
        assertThat(errors).singleElement().satisfies(error -> {
            String line = error.getMessage() + " "
                    + List.of(error.getParameters() == null ? new Object[0] : error.getParameters());
            assertThat(line).contains("alerts").contains("partition 2").contains("offset 41");
            assertThat(error.getThrown()).hasMessage("alerts.dlq unreachable");
        });
    }

    @Test
    void aDeadLetterSentIsNeitherCountedNorLogged() {
        deadLetters
                .send(record(CompletableFuture.completedFuture(null)), new IllegalStateException("cannot be handled"))
                .await()
                .atMost(WAIT);

        assertThat(failedNacks()).isZero();
        assertThat(errors).isEmpty();
    }
}
