package dev.rollguard.alert.domain;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.alert.domain.judgment.CohortMoments;
import dev.rollguard.schemas.event.ClientMoment;
import dev.rollguard.schemas.event.Cohort;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A stage's evidence sums the windows' increments, negative ones (clients dropped from the sample) included. */
class StageEvidenceTest {

    private static ClientMoment moment(long clients, double y, double x, double yy, double xx, double xy) {
        return ClientMoment.newBuilder()
                .setStageVersion(3)
                .setMetric("failure")
                .setClients(clients)
                .setSumY(y)
                .setSumX(x)
                .setSumYY(yy)
                .setSumXX(xx)
                .setSumXY(xy)
                .build();
    }

    @Test
    void aWindowThatRetractsClientsLeavesTheSumsOfTheOthers() {
        StageEvidence stage = StageEvidence.start("flag", 3);
        // Clients (1, 10), (0, 5) and (3, 10) in the first window; the second drops (3, 10) from the sample.
        stage.add(Cohort.CONTROL, List.of(moment(3, 4, 25, 10, 225, 40)), 60_000);
        stage.add(Cohort.CONTROL, List.of(moment(-1, -3, -10, -9, -100, -30)), 120_000);
        CohortMoments direct = CohortMoments.ofClient(1, 10).plus(CohortMoments.ofClient(0, 5));
        assertThat(stage.control().get("failure")).isEqualTo(direct);
    }
}
