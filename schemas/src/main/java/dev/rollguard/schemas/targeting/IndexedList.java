package dev.rollguard.schemas.targeting;

import java.util.AbstractList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * An immutable list of targeting keys whose {@code contains} is a hash lookup, so allow- and deny-lists of
 * thousands of keys cost the evaluator no more than short ones. The shared evaluator only sees a {@code List}; every
 * holder of flag versions that evaluates them (the flag-service's snapshot, metrics-ingest's directory) puts a
 * version's lists in one when it takes the version.
 */
public final class IndexedList extends AbstractList<String> {

    private final List<String> keys;
    private final Set<String> index;

    private IndexedList(List<String> keys) {
        this.keys = List.copyOf(keys);
        this.index = new HashSet<>(keys);
    }

    /** {@code keys} as an indexed list; one already indexed is returned as it is. */
    public static List<String> of(List<String> keys) {
        return keys instanceof IndexedList ? keys : new IndexedList(keys);
    }

    @Override
    public String get(int index) {
        return keys.get(index);
    }

    @Override
    public int size() {
        return keys.size();
    }

    @Override
    public boolean contains(Object key) {
        return index.contains(key);
    }
}
