package dev.rollguard.flag.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The reload a stream URL of a secret not loaded yet asks for: one at a time, shared, at most once per interval. */
class CoalescedReloadTest {

    private final List<CompletableFuture<Void>> reloads = new ArrayList<>();
    private final AtomicLong now = new AtomicLong(Duration.ofHours(1).toNanos());
    private final CoalescedReload catchUp = new CoalescedReload(
            () -> {
                CompletableFuture<Void> reload = new CompletableFuture<>();
                synchronized (reloads) {
                    reloads.add(reload);
                }
                return Uni.createFrom().completionStage(reload);
            },
            Duration.ofSeconds(1),
            now::get);

    @Test
    void callersWhileAReloadRunsShareItAndTheNextStartsOnlyAnIntervalAfterIt() throws Exception {
        List<CompletableFuture<Void>> waiting = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            waiting.add(catchUp.await().subscribeAsCompletionStage());
        }
        assertThat(reloads()).as("one reload for fifty callers").isEqualTo(1);
        assertThat(waiting).noneMatch(CompletableFuture::isDone);

        reload(0).complete(null);
        assertThat(waiting).allMatch(CompletableFuture::isDone);

        // 0.9 s after the first started: the next waits until a full second has passed since then (a few ms here).
        now.addAndGet(Duration.ofMillis(990).toNanos());
        CompletableFuture<Void> soon = catchUp.await().subscribeAsCompletionStage();
        CompletableFuture<Void> sharing = catchUp.await().subscribeAsCompletionStage();
        assertThat(soon).isNotDone();
        await().atMost(Duration.ofSeconds(10)).until(() -> reloads() == 2);
        assertThat(soon).isNotDone();
        reload(1).complete(null);
        soon.get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(sharing).isDone();
        assertThat(reloads()).isEqualTo(2);
    }

    @Test
    void aFailedReloadReleasesItsCallersAndTheNextStartsAfresh() {
        CompletableFuture<Void> first = catchUp.await().subscribeAsCompletionStage();
        reload(0).completeExceptionally(new IllegalStateException("the database is down"));
        assertThat(first).isCompletedWithValue(null);

        now.addAndGet(Duration.ofSeconds(2).toNanos());
        CompletableFuture<Void> second = catchUp.await().subscribeAsCompletionStage();
        assertThat(reloads()).as("a second later, at once").isEqualTo(2);
        reload(1).complete(null);
        assertThat(second).isCompletedWithValue(null);
    }

    private int reloads() {
        synchronized (reloads) {
            return reloads.size();
        }
    }

    private CompletableFuture<Void> reload(int index) {
        synchronized (reloads) {
            return reloads.get(index);
        }
    }
}
