package dev.rollguard.flag.service;

import io.quarkus.logging.Log;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.subscription.BackPressureStrategy;
import io.smallrye.mutiny.subscription.MultiEmitter;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Flow;

/**
 * Hands each item to every subscriber of that moment, on the thread that emits it, in the order emitted.
 *
 * <p>Every open change stream subscribes (to the changes, and to the token tables installed), so a reconnect storm
 * subscribes and cancels tens of thousands at once. Mutiny's {@code BroadcastProcessor} (like Vert.x's event bus)
 * copies its whole subscriber array on each subscribe and cancel, which makes such a storm quadratic; here each
 * subscriber is one emitter in a concurrent set, added and removed in constant time.
 *
 * <p>A subscriber that has not asked for more when an item comes keeps only the latest item it missed and gets it
 * when it asks ({@link BackPressureStrategy#LATEST}): a slow client skips intermediate states, never fails.
 *
 * <p>A subscriber that throws on an item breaks the Reactive Streams contract, and its emitter, stopped in the middle
 * of handing it over, would hold every later item for it: it is removed and its subscription cancelled.
 */
public final class Fanout<T> {

    /** One subscriber: the emitter that hands it items, and the subscription that cancels it. */
    private static final class Subscriber<T> {
        private volatile MultiEmitter<? super T> emitter;
        private volatile Flow.Subscription subscription;
    }

    private final Set<Subscriber<T>> subscribers = ConcurrentHashMap.newKeySet();

    /** The items emitted from the moment of subscription on; cancelling it leaves nothing behind. */
    public Multi<T> subscribe() {
        return Multi.createFrom().deferred(() -> {
            Subscriber<T> subscriber = new Subscriber<>();
            return Multi.createFrom()
                    .<T>emitter(
                            emitter -> {
                                subscriber.emitter = emitter;
                                subscribers.add(subscriber);
                                // Runs at once if the subscriber has already gone.
                                emitter.onTermination(() -> subscribers.remove(subscriber));
                            },
                            BackPressureStrategy.LATEST)
                    // The emitter's own subscription, handed on before the emitter is: what cancels it.
                    .onSubscription()
                    .invoke(subscription -> subscriber.subscription = subscription);
        });
    }

    /**
     * Hands {@code item} to every subscriber; one that fails on it does not keep it from the others, and is dropped.
     */
    public void emit(T item) {
        for (Subscriber<T> subscriber : subscribers) {
            try {
                subscriber.emitter.emit(item);
            } catch (RuntimeException e) {
                subscribers.remove(subscriber);
                subscriber.subscription.cancel();
                Log.warn("a subscriber failed on an item and was cancelled; the others received it", e);
            }
        }
    }

    /** The subscribers that have not cancelled. */
    public int subscribers() {
        return subscribers.size();
    }
}
