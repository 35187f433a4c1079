package dev.rollguard.alert.publisher;

import static org.assertj.core.api.Assertions.assertThat;

import io.smallrye.mutiny.CompositeException;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;

/** How the relay logs a failed commit or poll round. */
class AlertPublisherTest {

    @Test
    void aFailedRoundIsLoggedInOneLineWithItsCountAndFirstCause() {
        List<Throwable> causes = IntStream.range(0, 500)
                .<Throwable>mapToObj(i -> new TimeoutException("Expiring 1 record(s) for alerts-" + i))
                .toList();
        // As a round's failure reaches the log: the join's composite, wrapped by the transaction around the round.
        RuntimeException failure = new RuntimeException("round failed", new CompositeException(causes));

        String line = AlertPublisher.describe(failure);

        assertThat(line).doesNotContain("\n").contains("500 sends failed").contains("alerts-0");
        assertThat(line).doesNotContain("alerts-1");
        assertThat(AlertPublisher.describe(new CompositeException(List.of(causes.get(7)))))
                .isEqualTo("1 send failed, the first: " + causes.get(7));
        assertThat(AlertPublisher.describe(new IllegalStateException("database away")))
                .isEqualTo("database away");
    }
}
