package dev.rollguard.schemas.targeting;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class IndexedListTest {

    @Test
    void keepsTheKeysInTheirOrderAndFindsThem() {
        List<String> keys = new ArrayList<>(List.of("carol", "alice", "bob"));
        List<String> indexed = IndexedList.of(keys);
        keys.add("mallory");

        assertThat(indexed).containsExactly("carol", "alice", "bob");
        assertThat(indexed.contains("alice")).isTrue();
        assertThat(indexed.contains("mallory"))
                .as("a copy: a later change to the source list is not seen")
                .isFalse();
        assertThat(indexed.contains(null)).isFalse();
        assertThat(indexed).isEqualTo(List.of("carol", "alice", "bob"));
    }

    @Test
    void isIndexedOnceAndCannotBeChanged() {
        List<String> indexed = IndexedList.of(List.of("a"));

        assertThat(IndexedList.of(indexed)).isSameAs(indexed);
        assertThatThrownBy(() -> indexed.add("b")).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void theEvaluatorReadsAnIndexedListAsAnyOther() {
        List<String> staff = new ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            staff.add("staff-" + i);
        }
        var flag = TargetingFixtures.flag("internal", 0);
        flag.setAllowList(IndexedList.of(staff));

        assertThat(FlagEvaluator.evaluate(flag, "staff-4999", k -> null, false).treated())
                .isTrue();
        assertThat(FlagEvaluator.evaluate(flag, "customer-1", k -> null, false).treated())
                .isFalse();
    }
}
