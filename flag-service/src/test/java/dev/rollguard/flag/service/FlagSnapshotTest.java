package dev.rollguard.flag.service;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rollguard.schemas.event.FlagChangeType;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.event.FlagValueType;
import dev.rollguard.schemas.event.FlagVariant;
import dev.rollguard.schemas.event.GuardAction;
import dev.rollguard.schemas.event.GuardPolicy;
import io.smallrye.mutiny.helpers.test.AssertSubscriber;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Flow;
import org.junit.jupiter.api.Test;

class FlagSnapshotTest {

    private final FlagSnapshot snapshot = new FlagSnapshot(new ObjectMapper());

    @Test
    void aBulkEvaluationServesTheFlagsNotArchivedInKeyOrder() {
        snapshot.applyAll(List.of(
                flag("zebra", 1, false), flag("apple", 1, false), flag("mango", 1, true), flag("kiwi", 1, false)));

        assertThat(snapshot.current().served())
                .extracting(FlagChangedEvent::getFlagKey)
                .containsExactly("apple", "kiwi", "zebra");
    }

    @Test
    void eachChangeGivesTheServedFlagsOfItsOwnState() {
        snapshot.applyAll(List.of(flag("b", 1, false), flag("a", 1, false)));
        FlagSnapshot.State before = snapshot.current();

        snapshot.apply(flag("a", 2, true));
        snapshot.apply(flag("c", 1, false));

        assertThat(snapshot.current().served())
                .extracting(FlagChangedEvent::getFlagKey)
                .containsExactly("b", "c");
        assertThat(before.served()).extracting(FlagChangedEvent::getFlagKey).containsExactly("a", "b");
        // An older version changes nothing, the served list included.
        FlagSnapshot.State current = snapshot.current();
        assertThat(snapshot.apply(flag("a", 1, false))).isFalse();
        assertThat(snapshot.current()).isSameAs(current);
    }

    @Test
    void aChangeReachesExactlyTheStreamsStillOpenAndCancelledOnesLeaveNothingBehind() {
        int streams = 5_000;
        List<AssertSubscriber<FlagSnapshot.State>> subscribers = new ArrayList<>();
        for (int i = 0; i < streams; i++) {
            subscribers.add(snapshot.changes().subscribe().withSubscriber(AssertSubscriber.create(Long.MAX_VALUE)));
        }
        assertThat(snapshot.changeSubscribers()).isEqualTo(streams);

        // Half of them go away (a reconnect storm's first half), every other one.
        for (int i = 0; i < streams; i += 2) {
            subscribers.get(i).cancel();
        }
        assertThat(snapshot.changeSubscribers()).isEqualTo(streams / 2);

        snapshot.apply(flag("after-cancel", 1, false));
        FlagSnapshot.State state = snapshot.current();
        for (int i = 0; i < streams; i++) {
            if (i % 2 == 0) {
                assertThat(subscribers.get(i).getItems())
                        .as("cancelled stream %d", i)
                        .isEmpty();
            } else {
                assertThat(subscribers.get(i).getItems())
                        .as("open stream %d", i)
                        .containsExactly(state);
            }
        }

        for (int i = 1; i < streams; i += 2) {
            subscribers.get(i).cancel();
        }
        assertThat(snapshot.changeSubscribers()).isZero();
    }

    @Test
    void aStreamGetsTheChangesInOrderAndOneThatFallsBehindGetsOnlyTheLatestItMissed() {
        AssertSubscriber<FlagSnapshot.State> fast =
                snapshot.changes().subscribe().withSubscriber(AssertSubscriber.create(Long.MAX_VALUE));
        AssertSubscriber<FlagSnapshot.State> slow =
                snapshot.changes().subscribe().withSubscriber(AssertSubscriber.create(1));
        List<FlagSnapshot.State> states = new ArrayList<>();
        for (int version = 1; version <= 4; version++) {
            snapshot.apply(flag("busy", version, false));
            states.add(snapshot.current());
        }

        assertThat(fast.getItems()).containsExactlyElementsOf(states);
        // It asked for one, and the three that came while it wrote that one fold into the last; it does not fail.
        assertThat(slow.getItems()).containsExactly(states.get(0));
        slow.request(10);
        assertThat(slow.getItems()).containsExactly(states.get(0), states.get(3));
        assertThat(slow.getFailure()).isNull();
        snapshot.apply(flag("busy", 5, false));
        assertThat(slow.getItems()).containsExactly(states.get(0), states.get(3), snapshot.current());
        // A subscriber that fails on a change keeps it from nobody else, and is dropped.
        assertThat(snapshot.changeSubscribers()).isEqualTo(2);
        snapshot.changes().subscribe().withSubscriber(new Flow.Subscriber<FlagSnapshot.State>() {
            @Override
            public void onSubscribe(Flow.Subscription subscription) {
                subscription.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(FlagSnapshot.State item) {
                throw new IllegalStateException("a broken stream");
            }

            @Override
            public void onError(Throwable failure) {}

            @Override
            public void onComplete() {}
        });
        assertThat(snapshot.changeSubscribers()).isEqualTo(3);
        snapshot.apply(flag("busy", 6, false));
        assertThat(fast.getItems()).hasSize(6).last().isEqualTo(snapshot.current());
        assertThat(snapshot.changeSubscribers()).isEqualTo(2);
        snapshot.apply(flag("busy", 7, false));
        assertThat(fast.getItems()).hasSize(7).last().isEqualTo(snapshot.current());
        assertThat(snapshot.changeSubscribers()).isEqualTo(2);
    }

    @Test
    void aWaitForAStateEndsItsSubscription() {
        FlagSnapshot.State awaited = snapshot.awaitState(
                        state -> state.flags().containsKey("awaited"), java.time.Duration.ofSeconds(30))
                .subscribeAsCompletionStage()
                .toCompletableFuture()
                .getNow(null);
        assertThat(awaited).isNull();
        assertThat(snapshot.changeSubscribers()).isEqualTo(1);

        snapshot.apply(flag("awaited", 1, false));
        assertThat(snapshot.changeSubscribers()).isZero();
    }

    private static FlagChangedEvent flag(String key, long version, boolean archived) {
        return FlagChangedEvent.newBuilder()
                .setEventId(UUID.randomUUID().toString())
                .setFlagKey(key)
                .setVersion(version)
                .setChangeType(FlagChangeType.CREATED)
                .setChangedAt(Instant.parse("2026-12-03T00:00:00Z"))
                .setActor("test")
                .setEnabled(true)
                .setKilled(false)
                .setArchived(archived)
                .setValueType(FlagValueType.BOOLEAN)
                .setVariants(List.of(
                        FlagVariant.newBuilder()
                                .setName("on")
                                .setValueJson("true")
                                .build(),
                        FlagVariant.newBuilder()
                                .setName("off")
                                .setValueJson("false")
                                .build()))
                .setTreatmentVariant("on")
                .setOffVariant("off")
                .setRolloutBasisPoints(1_000)
                .setGuardPolicy(
                        GuardPolicy.newBuilder().setAction(GuardAction.KILL).build())
                .build();
    }
}
