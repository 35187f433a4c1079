package dev.rollguard.flag.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.smallrye.mutiny.TimeoutException;
import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The reload a stream URL of a secret not loaded yet asks for: callers share one that has not started its read, a
 * caller that comes while one reads waits for the next, two start at least an interval apart, and a hung read
 * releases its callers after the timeout but runs on, with no second read beside it.
 */
class CoalescedReloadTest {

    private final List<CompletableFuture<Void>> reloads = new ArrayList<>();
    private final AtomicLong now = new AtomicLong(Duration.ofHours(1).toNanos());
    private final CoalescedReload catchUp = reload(Duration.ofSeconds(30));

    private CoalescedReload reload(Duration timeout) {
        return new CoalescedReload(
                () -> {
                    CompletableFuture<Void> reload = new CompletableFuture<>();
                    synchronized (reloads) {
                        reloads.add(reload);
                    }
                    return Uni.createFrom().completionStage(reload);
                },
                Duration.ofSeconds(1),
                timeout,
                now::get);
    }

    @Test
    void callersBeforeAReloadStartsShareItAndTheNextStartsOnlyAnIntervalAfterIt() throws Exception {
        CompletableFuture<Void> first = catchUp.await().subscribeAsCompletionStage();
        reload(0).complete(null);
        assertThat(first).isDone();

        // Half a second after the first started: the next waits until a full second has passed since then.
        now.addAndGet(Duration.ofMillis(500).toNanos());
        List<CompletableFuture<Void>> waiting = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            waiting.add(catchUp.await().subscribeAsCompletionStage());
        }
        assertThat(reloads()).as("not before the interval").isEqualTo(1);
        assertThat(waiting).noneMatch(CompletableFuture::isDone);
        await().atMost(Duration.ofSeconds(10)).until(() -> reloads() == 2);
        assertThat(waiting).noneMatch(CompletableFuture::isDone);

        reload(1).complete(null);
        for (CompletableFuture<Void> caller : waiting) {
            caller.get(10, TimeUnit.SECONDS);
        }
        assertThat(reloads()).as("one reload for fifty callers").isEqualTo(2);
    }

    @Test
    void aCallerWhileAReloadReadsWaitsForOneMoreAfterItAndAtMostOneMoreRuns() throws Exception {
        CompletableFuture<Void> first = catchUp.await().subscribeAsCompletionStage();
        assertThat(reloads()).isEqualTo(1);

        // The first has read the table, perhaps before another instance's commit: a caller now needs a later read.
        List<CompletableFuture<Void>> later = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            later.add(catchUp.await().subscribeAsCompletionStage());
        }
        now.addAndGet(Duration.ofSeconds(2).toNanos());
        reload(0).complete(null);
        assertThat(first).isDone();
        await().atMost(Duration.ofSeconds(10)).until(() -> reloads() == 2);
        assertThat(later).as("the first reload's read is not theirs").noneMatch(CompletableFuture::isDone);

        reload(1).complete(null);
        for (CompletableFuture<Void> caller : later) {
            caller.get(10, TimeUnit.SECONDS);
        }
        assertThat(reloads()).as("one more for twenty callers").isEqualTo(2);
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

    @Test
    void aReadThatHangsPastTheTimeoutRunsToItsEndWhileItsCallersGiveUpAndNoSecondReadStartsBesideIt() {
        CoalescedReload hung = reload(Duration.ofMillis(200));
        CompletableFuture<Void> caller = hung.await().subscribeAsCompletionStage();

        assertThatThrownBy(() -> caller.get(10, TimeUnit.SECONDS))
                .as("the caller gives up after the timeout")
                .hasCauseInstanceOf(TimeoutException.class);
        assertThat(reload(0))
                .as("the read goes on (the query would, in the database)")
                .isNotDone();

        // Well past the interval: callers now queue one reload behind the read that still runs, and give up too.
        now.addAndGet(Duration.ofSeconds(2).toNanos());
        List<CompletableFuture<Void>> later = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            later.add(hung.await().subscribeAsCompletionStage());
        }
        for (CompletableFuture<Void> waiting : later) {
            assertThatThrownBy(() -> waiting.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(TimeoutException.class);
        }
        assertThat(reloads()).as("no second read while the first runs").isEqualTo(1);

        // The first read ends: the one queued behind it runs, one for the twenty callers.
        reload(0).complete(null);
        await().atMost(Duration.ofSeconds(10)).until(() -> reloads() == 2);
        reload(1).complete(null);
        assertThat(reloads()).as("one queued reload for twenty callers").isEqualTo(2);

        // Nothing runs any more: the next caller starts a read at once and gets it.
        now.addAndGet(Duration.ofSeconds(2).toNanos());
        CompletableFuture<Void> next = hung.await().subscribeAsCompletionStage();
        assertThat(reloads()).isEqualTo(3);
        reload(2).complete(null);
        assertThat(next).isCompletedWithValue(null);
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
