package dev.rollguard.alert.domain.inbound;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.alert.domain.inbound.InboundDedup.Decision;
import dev.rollguard.alert.domain.inbound.InboundDedup.Latest;
import dev.rollguard.alert.domain.inbound.InboundDedup.Transition;
import dev.rollguard.schemas.event.AlertStatus;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class InboundDedupTest {

    private static final Instant T0 = Instant.parse("2026-06-01T10:00:00Z");
    private static final Instant NOW = Instant.parse("2026-06-01T10:30:00Z");

    private static ExternalAlert firing(Instant startsAt) {
        return new ExternalAlert(
                0, true, new TreeMap<>(Map.of("alertname", "Errors")), Map.of(), startsAt, null, null, "test");
    }

    private static ExternalAlert resolved(Instant startsAt, Instant endsAt) {
        return new ExternalAlert(
                0, false, new TreeMap<>(Map.of("alertname", "Errors")), Map.of(), startsAt, endsAt, null, "test");
    }

    @Test
    void theFirstFiringIsATransitionWithTheSendersStart() {
        Decision decision = InboundDedup.decide(firing(T0), null, NOW);
        assertThat(decision.transition()).contains(new Transition(AlertStatus.FIRING, T0, null));
    }

    @Test
    void aFiringAlertWithoutStartStartsWhenReceived() {
        assertThat(InboundDedup.decide(firing(null), null, NOW).transition())
                .contains(new Transition(AlertStatus.FIRING, NOW, null));
    }

    @Test
    void everyCopyWhileFiringIsNoTransitionWhateverStartItClaims() {
        Latest firing = new Latest(AlertStatus.FIRING, T0);
        for (Instant claimed : new Instant[] {T0, null, T0.plusSeconds(600), T0.minusSeconds(600)}) {
            Decision decision = InboundDedup.decide(firing(claimed), firing, NOW);
            assertThat(decision.transition()).isEmpty();
            assertThat(decision.reason()).contains("already firing since " + T0);
        }
    }

    @Test
    void aResolutionEndsTheFiringOccurrenceOnce() {
        Latest firing = new Latest(AlertStatus.FIRING, T0);
        Instant end = T0.plusSeconds(300);
        assertThat(InboundDedup.decide(resolved(T0, end), firing, NOW).transition())
                .contains(new Transition(AlertStatus.RESOLVED, T0, end));
        assertThat(InboundDedup.decide(resolved(T0, null), firing, NOW).transition())
                .as("no end given: it ended when received")
                .contains(new Transition(AlertStatus.RESOLVED, T0, NOW));
        Latest resolved = new Latest(AlertStatus.RESOLVED, T0);
        assertThat(InboundDedup.decide(resolved(T0, end), resolved, NOW).transition())
                .isEmpty();
        assertThat(InboundDedup.decide(resolved(T0, end), null, NOW).transition())
                .as("nothing fires: nothing to resolve")
                .isEmpty();
    }

    @Test
    void aLateFiringCopyOfAResolvedOccurrenceFiresNothing() {
        Latest resolved = new Latest(AlertStatus.RESOLVED, T0);
        Decision late = InboundDedup.decide(firing(T0), resolved, NOW);
        assertThat(late.transition()).isEmpty();
        assertThat(late.reason()).contains("has resolved already");
        assertThat(InboundDedup.decide(firing(T0.minusSeconds(60)), resolved, NOW)
                        .transition())
                .isEmpty();
    }

    @Test
    void aLaterOccurrenceAfterTheResolutionFiresAgain() {
        Latest resolved = new Latest(AlertStatus.RESOLVED, T0);
        Instant again = T0.plusSeconds(900);
        assertThat(InboundDedup.decide(firing(again), resolved, NOW).transition())
                .contains(new Transition(AlertStatus.FIRING, again, null));
        assertThat(InboundDedup.decide(firing(null), resolved, NOW).transition())
                .contains(new Transition(AlertStatus.FIRING, NOW, null));
    }

    @Test
    void aLateResolvedCopyOfAnEarlierOccurrenceDoesNotResolveTheCurrentOne() {
        // A fired at T0 and resolved at T0 + 5m; B fired at T0 + 15m; then a copy of A's resolution arrives late.
        Instant aEnded = T0.plusSeconds(300);
        Instant bStarted = T0.plusSeconds(900);
        Latest firingB = new Latest(AlertStatus.FIRING, bStarted);
        Decision late = InboundDedup.decide(resolved(T0, aEnded), firingB, NOW);
        assertThat(late.transition()).isEmpty();
        assertThat(late.reason()).startsWith("resolution of an earlier occurrence");
        // B's own resolution still ends B.
        Instant bEnded = bStarted.plusSeconds(300);
        assertThat(InboundDedup.decide(resolved(bStarted, bEnded), firingB, NOW).transition())
                .contains(new Transition(AlertStatus.RESOLVED, bStarted, bEnded));
        // A sender that gave no start (B's start is when it was received), its clock a little behind: B resolves.
        assertThat(InboundDedup.decide(resolved(null, bStarted.minusSeconds(2)), firingB, NOW)
                        .transition())
                .contains(new Transition(AlertStatus.RESOLVED, bStarted, bStarted));
    }
}
