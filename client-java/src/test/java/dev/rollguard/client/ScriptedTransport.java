package dev.rollguard.client;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.apache.avro.specific.SpecificRecord;

/**
 * A transport whose answers the test scripts: each call takes the next scripted answer (a failure to throw, or the
 * rejections to return), then answers with no rejection once the script is used up. Every attempt is recorded.
 */
final class ScriptedTransport implements TelemetryTransport {

    final List<List<SpecificRecord>> attempts = new CopyOnWriteArrayList<>();
    final List<SpecificRecord> delivered = new CopyOnWriteArrayList<>();
    private final Deque<Function<List<SpecificRecord>, List<Rejection>>> script = new ArrayDeque<>();
    private volatile boolean down;
    volatile boolean closed;

    /** Until {@link #up()}, every attempt fails as a receiver that is unreachable. */
    synchronized ScriptedTransport down() {
        down = true;
        return this;
    }

    synchronized ScriptedTransport up() {
        down = false;
        return this;
    }

    synchronized ScriptedTransport then(Function<List<SpecificRecord>, List<Rejection>> answer) {
        script.addLast(answer);
        return this;
    }

    static Function<List<SpecificRecord>, List<Rejection>> failing(String code, boolean retryable) {
        return batch -> {
            throw new TelemetryTransportException(code, "scripted " + code, retryable, null);
        };
    }

    /** An attempt that fails as the transport did not foresee: a library's own exception, a bug. */
    static Function<List<SpecificRecord>, List<Rejection>> throwing(RuntimeException failure) {
        return batch -> {
            throw failure;
        };
    }

    @Override
    public List<Rejection> send(List<SpecificRecord> events) {
        List<SpecificRecord> copy = List.copyOf(events);
        attempts.add(copy);
        Function<List<SpecificRecord>, List<Rejection>> answer;
        synchronized (this) {
            if (down) {
                throw new TelemetryTransportException("UNREACHABLE", "connection refused", true, null);
            }
            answer = script.pollFirst();
        }
        List<Rejection> rejections = answer == null ? List.of() : answer.apply(copy);
        List<SpecificRecord> accepted = new ArrayList<>();
        for (int i = 0; i < copy.size(); i++) {
            int index = i;
            if (rejections.stream().noneMatch(r -> r.index() == index)) {
                accepted.add(copy.get(i));
            }
        }
        delivered.addAll(accepted);
        return rejections;
    }

    @Override
    public void close() {
        closed = true;
    }
}
