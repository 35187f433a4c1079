package dev.rollguard.alert.service;

import io.smallrye.mutiny.Uni;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * Runs asynchronous tasks one at a time, in submission order, without blocking a thread: the evaluator's state is
 * touched by the Kafka consumer, the no-data sweep and reloads, and must see one of them at a time.
 */
final class SerialLane {

    private CompletableFuture<Void> tail = CompletableFuture.completedFuture(null);

    synchronized <T> Uni<T> submit(Supplier<Uni<T>> task) {
        CompletableFuture<T> result = new CompletableFuture<>();
        tail = tail.thenCompose(ignored -> {
            try {
                task.get().subscribe().with(result::complete, result::completeExceptionally);
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            }
            return result.handle((value, failure) -> null);
        });
        CompletionStage<T> stage = result;
        return Uni.createFrom().completionStage(stage);
    }
}
