package dev.rollguard.flag.service;

import java.util.AbstractList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * An immutable list of targeting keys whose {@code contains} is a hash lookup, so allow- and deny-lists of
 * thousands of keys cost the evaluator no more than short ones. The shared evaluator only sees a {@code List}.
 */
final class IndexedList extends AbstractList<String> {

    private final List<String> keys;
    private final Set<String> index;

    private IndexedList(List<String> keys) {
        this.keys = List.copyOf(keys);
        this.index = new HashSet<>(keys);
    }

    static List<String> of(List<String> keys) {
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
