package dev.rollguard.flag.service;

import dev.rollguard.flag.config.FlagServiceConfig;
import dev.rollguard.flag.domain.Caller;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Evaluation requests per second per token, as token buckets (Bucket4j: lock-free, no background threads) holding
 * one second of burst. Limits are per instance.
 */
@ApplicationScoped
public class RateLimiter {

    private final Map<UUID, Limit> buckets = new ConcurrentHashMap<>();
    private final int defaultRate;

    public RateLimiter(FlagServiceConfig config) {
        this.defaultRate = config.rateLimit().defaultRequestsPerSecond();
    }

    /**
     * Takes one request from the caller's bucket.
     *
     * @return 0 when allowed, otherwise the whole seconds to wait before retrying (at least 1)
     */
    public long acquire(Caller caller) {
        int rate = caller.requestsPerSecond() == null ? defaultRate : caller.requestsPerSecond();
        Limit limit = buckets.get(caller.tokenId());
        if (limit == null || limit.rate != rate) {
            // A race here only starts a second fresh bucket; not worth a lock on the hot path.
            limit = Limit.of(rate);
            buckets.put(caller.tokenId(), limit);
        }
        ConsumptionProbe probe = limit.bucket.tryConsumeAndReturnRemaining(1);
        if (probe.isConsumed()) {
            return 0;
        }
        return Math.max(1, (probe.getNanosToWaitForRefill() + 999_999_999L) / 1_000_000_000L);
    }

    private record Limit(int rate, Bucket bucket) {
        static Limit of(int rate) {
            return new Limit(
                    rate,
                    Bucket.builder()
                            .addLimit(Bandwidth.builder()
                                    .capacity(rate)
                                    .refillGreedy(rate, Duration.ofSeconds(1))
                                    .build())
                            .build());
        }
    }
}
