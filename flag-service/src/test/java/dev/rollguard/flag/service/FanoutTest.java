package dev.rollguard.flag.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.smallrye.mutiny.helpers.test.AssertSubscriber;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Flow;
import org.junit.jupiter.api.Test;

/** The change fan-out: every subscriber of the moment gets each item, and one that breaks is dropped. */
class FanoutTest {

    private final Fanout<Integer> fanout = new Fanout<>();

    @Test
    void aSubscriberThatThrowsIsRemovedAndCancelledAndTheOthersGoOn() {
        AssertSubscriber<Integer> before =
                fanout.subscribe().subscribe().withSubscriber(AssertSubscriber.create(Long.MAX_VALUE));
        Throwing broken = new Throwing();
        fanout.subscribe().subscribe().withSubscriber(broken);
        AssertSubscriber<Integer> after =
                fanout.subscribe().subscribe().withSubscriber(AssertSubscriber.create(Long.MAX_VALUE));
        assertThat(fanout.subscribers()).isEqualTo(3);

        fanout.emit(1);

        assertThat(fanout.subscribers()).as("the one that threw is gone").isEqualTo(2);
        assertThat(broken.received).containsExactly(1);
        for (int i = 2; i <= 1_000; i++) {
            fanout.emit(i);
        }
        // Nothing more reaches it, nothing is held for it, and the others got every item.
        assertThat(broken.received).containsExactly(1);
        assertThat(before.getItems()).hasSize(1_000);
        assertThat(after.getItems()).hasSize(1_000);
        assertThat(fanout.subscribers()).isEqualTo(2);

        before.cancel();
        after.cancel();
        assertThat(fanout.subscribers()).isZero();
    }

    @Test
    void aSubscriberThatCancelsInsideTheSubscriptionLeavesNothingBehind() {
        fanout.subscribe().subscribe().withSubscriber(new Flow.Subscriber<Integer>() {
            @Override
            public void onSubscribe(Flow.Subscription subscription) {
                subscription.cancel();
            }

            @Override
            public void onNext(Integer item) {}

            @Override
            public void onError(Throwable failure) {}

            @Override
            public void onComplete() {}
        });
        assertThat(fanout.subscribers()).isZero();
        fanout.emit(1);
        assertThat(fanout.subscribers()).isZero();
    }

    /** Breaks the Reactive Streams rule that onNext does not throw. */
    private static final class Throwing implements Flow.Subscriber<Integer> {
        private final List<Integer> received = new ArrayList<>();

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(Integer item) {
            received.add(item);
            throw new IllegalStateException("a broken stream");
        }

        @Override
        public void onError(Throwable failure) {}

        @Override
        public void onComplete() {}
    }
}
