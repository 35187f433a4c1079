package dev.rollguard.alert.publisher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.alert.repository.AlertRepository.AlertRow;
import io.smallrye.mutiny.CompositeException;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;

/** How the relay logs a failed commit or poll round, and which remembered failures a poll round forgets. */
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

    @Test
    void aPollRoundForgetsNoAlertWithASendAfterCommitStillOnItsWayEvenOneItDoesNotHold() {
        List<AlertRow> toSend = List.of(row(10, "K"), row(11, "L"), row(12, "M"));
        // Seq 40 (alert K) was sent after its commit and is not settled: past this round's batch, so not among its
        // rows. Its send may have failed unknown to the relay: K's failures stay remembered.
        Map<Long, String> unmarked = Map.of(40L, "K", 13L, "M");

        assertThat(AlertPublisher.toForget(toSend, unmarked)).containsExactly("L");
        assertThat(AlertPublisher.toForget(toSend, Map.of())).containsExactlyInAnyOrder("K", "L", "M");
    }

    private static AlertRow row(long seq, String fingerprint) {
        return new AlertRow(seq, fingerprint, "{}", new byte[0]);
    }
}
