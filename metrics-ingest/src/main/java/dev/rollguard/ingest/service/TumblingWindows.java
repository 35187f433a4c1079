package dev.rollguard.ingest.service;

import dev.rollguard.ingest.domain.AggregateLimits;
import java.time.Instant;
import org.apache.kafka.streams.state.HostInfo;

/**
 * The tumbling windows of the scopes as the running topology keeps them, read by interactive queries. The topology
 * provides it: it names the store and the repartition topic and uses the service layer, which therefore reaches the
 * store through this interface only. Each method answers 503 ({@code UNAVAILABLE}) while Kafka Streams restores or
 * rebalances the store.
 */
public interface TumblingWindows {

    /** The limits the topology builds its aggregates with. */
    AggregateLimits limits();

    /** Whether an active task of this instance holds the scope's windows. */
    boolean hostedLocally(String scope);

    /** The instance whose active task holds the scope's windows. */
    HostInfo host(String scope);

    /** The windows of the scope that overlap {@code [start, end]}, open ones included, from this instance's store. */
    HealthReportService.ScopeWindows local(String scope, Instant start, Instant end);
}
