package dev.rollguard.ingest.domain;

import java.util.TreeMap;

/**
 * The closed tumbling windows of one scope that hopping windows still need, by start time, and the end of the last
 * hopping window emitted for the scope.
 */
public final class HoppingParts {

    public long lastEmittedEnd = Long.MIN_VALUE;
    public final TreeMap<Long, WindowAggregate> parts = new TreeMap<>();
}
