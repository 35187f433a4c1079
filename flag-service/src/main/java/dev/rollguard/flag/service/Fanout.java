package dev.rollguard.flag.service;

import io.quarkus.logging.Log;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.subscription.BackPressureStrategy;
import io.smallrye.mutiny.subscription.MultiEmitter;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

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
 */
public final class Fanout<T> {

    private final Set<MultiEmitter<? super T>> emitters = ConcurrentHashMap.newKeySet();

    /** The items emitted from the moment of subscription on; cancelling it leaves nothing behind. */
    public Multi<T> subscribe() {
        return Multi.createFrom()
                .emitter(
                        emitter -> {
                            emitters.add(emitter);
                            // Runs at once if the subscriber has already gone.
                            emitter.onTermination(() -> emitters.remove(emitter));
                        },
                        BackPressureStrategy.LATEST);
    }

    /** Hands {@code item} to every subscriber; one that fails on it does not keep it from the others. */
    public void emit(T item) {
        for (MultiEmitter<? super T> emitter : emitters) {
            try {
                emitter.emit(item);
            } catch (RuntimeException e) {
                Log.warn("a subscriber failed on an item; the others received it", e);
            }
        }
    }

    /** The subscribers that have not cancelled. */
    public int subscribers() {
        return emitters.size();
    }
}
