package dev.rollguard.flag.service;

import dev.rollguard.flag.publisher.EvaluatedKeysPublisher;
import io.quarkus.logging.Log;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;

/**
 * Every {@code flag-service.evaluated-keys.publish-interval}, publishes the slices of evaluated targeting keys
 * ({@link EvaluatedKeyRecorder}) that took new keys. A slice the broker did not acknowledge is published again at
 * the next pass; losing one costs metrics-ingest's check a few keys, never a cohort.
 */
@ApplicationScoped
public class EvaluatedKeysPublication {

    private final EvaluatedKeyRecorder recorder;
    private final EvaluatedKeysPublisher publisher;

    public EvaluatedKeysPublication(EvaluatedKeyRecorder recorder, EvaluatedKeysPublisher publisher) {
        this.recorder = recorder;
        this.publisher = publisher;
    }

    @Scheduled(
            every = "${flag-service.evaluated-keys.publish-interval:15s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> publish() {
        List<EvaluatedKeyRecorder.Changed> changed = recorder.changed();
        if (changed.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        List<Uni<Void>> sends = new ArrayList<>(changed.size());
        for (EvaluatedKeyRecorder.Changed slice : changed) {
            sends.add(publisher.send(slice.key(), slice.event()).onFailure().recoverWithUni(e -> {
                recorder.failed(slice.slice());
                Log.warnf(
                        "evaluated keys of flag %s not published, again at the next pass: %s",
                        slice.event().getFlagKey(), e.toString());
                return Uni.createFrom().voidItem();
            }));
        }
        return Uni.join().all(sends).andCollectFailures().replaceWithVoid();
    }
}
