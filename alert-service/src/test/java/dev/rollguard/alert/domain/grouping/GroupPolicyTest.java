package dev.rollguard.alert.domain.grouping;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.alert.domain.grouping.GroupPolicy.Flush;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Which alerts share a notification and when a group is notified, with time from a clock the test moves: the life
 * of one group told step by step as the flusher sees it.
 */
class GroupPolicyTest {

    /** A clock the test sets. */
    static final class TestClock extends Clock {
        private Instant now;

        TestClock(Instant start) {
            this.now = start;
        }

        void advance(Duration by) {
            now = now.plus(by);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }

    private static final GroupPolicy DEFAULTS = GroupPolicy.defaults();

    private static Map<String, String> labels(String... pairs) {
        Map<String, String> labels = new HashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            labels.put(pairs[i], pairs[i + 1]);
        }
        return labels;
    }

    private static String key(GroupPolicy policy, Map<String, String> labels) {
        return GroupPolicy.groupKey(policy.groupLabels(labels));
    }

    @Test
    void oneRuleOnManyScopesIsOneGroup() {
        String global = key(DEFAULTS, labels("rule_id", "errors", "severity", "critical", "scope", "global"));
        String table = key(
                DEFAULTS,
                labels("rule_id", "errors", "severity", "critical", "scope", "table:orders", "table", "orders"));
        String platform = key(
                DEFAULTS,
                labels("rule_id", "errors", "severity", "critical", "scope", "platform:IOS", "platform", "IOS"));

        assertThat(global)
                .isEqualTo(table)
                .isEqualTo(platform)
                .isEqualTo("{}:{rule_id=\"errors\", severity=\"critical\"}");
    }

    @Test
    void guardAlertsOfDifferentFlagsAreSeparateGroups() {
        Map<String, String> a =
                labels("rule_id", "guard", "severity", "critical", "flag", "new-sync", "cohort", "TREATMENT");
        Map<String, String> b =
                labels("rule_id", "guard", "severity", "critical", "flag", "new-ui", "cohort", "TREATMENT");

        assertThat(key(DEFAULTS, a)).isNotEqualTo(key(DEFAULTS, b));
        assertThat(DEFAULTS.groupLabels(a))
                .containsExactly(
                        Map.entry("flag", "new-sync"),
                        Map.entry("rule_id", "guard"),
                        Map.entry("severity", "critical"));
        assertThat(key(DEFAULTS, labels("rule_id", "guard", "severity", "warning", "flag", "new-sync")))
                .as("severities apart")
                .isNotEqualTo(key(DEFAULTS, a));
    }

    @Test
    void groupKeyIsSortedQuotedAndIgnoresOtherLabels() {
        GroupPolicy byTeam = new GroupPolicy(
                List.of("team", "alertname"), Duration.ZERO, Duration.ofMinutes(1), Duration.ofHours(1));
        assertThat(key(byTeam, labels("alertname", "Say \"hi\"\\", "team", "core", "scope", "x")))
                .isEqualTo("{}:{alertname=\"Say \\\"hi\\\"\\\\\", team=\"core\"}");
        assertThat(key(byTeam, labels("alertname", "A", "team", "")))
                .as("an empty label is an absent one")
                .isEqualTo(key(byTeam, labels("alertname", "A")));
        GroupPolicy all = new GroupPolicy(List.of(), Duration.ZERO, Duration.ofMinutes(1), Duration.ofHours(1));
        assertThat(key(all, labels("rule_id", "a")))
                .isEqualTo(key(all, labels("rule_id", "b")))
                .isEqualTo("{}:{}");
        assertThat(GroupPolicy.groupId("{}:{}")).hasSize(64).isNotEqualTo(GroupPolicy.groupId("{}:{a=\"b\"}"));
    }

    @Test
    void aGroupWaitsThenNotifiesChangesEachIntervalAndRepeatsWhatStillFires() {
        GroupPolicy policy = new GroupPolicy(
                GroupPolicy.DEFAULT_GROUP_BY, Duration.ofSeconds(10), Duration.ofMinutes(1), Duration.ofHours(4));
        TestClock clock = new TestClock(Instant.parse("2026-05-01T10:00:00Z"));
        Instant opened = clock.instant();

        // The first alert opens the group; the first flush comes group wait later.
        Instant due = policy.firstFlushAt(opened);
        assertThat(due).isEqualTo(opened.plusSeconds(10));

        clock.advance(Duration.ofSeconds(10));
        Flush first = policy.decide(true, null, true, clock.instant());
        assertThat(first.send()).isTrue();
        assertThat(first.nextFlushAt()).isEqualTo(clock.instant().plus(Duration.ofMinutes(1)));
        Instant notifiedAt = clock.instant();

        // Nothing changed: the group is looked at each interval but not notified until the repeat interval.
        clock.advance(Duration.ofMinutes(1));
        Flush quiet = policy.decide(false, notifiedAt, true, clock.instant());
        assertThat(quiet.send()).isFalse();
        assertThat(quiet.nextFlushAt()).isEqualTo(clock.instant().plus(Duration.ofMinutes(1)));

        // A new alert joined: notified at the next interval.
        clock.advance(Duration.ofMinutes(1));
        Flush changed = policy.decide(true, notifiedAt, true, clock.instant());
        assertThat(changed.send()).isTrue();
        notifiedAt = clock.instant();

        // Unchanged and still firing: repeated once the repeat interval has passed, not a tick before.
        clock.advance(Duration.ofHours(4).minusSeconds(1));
        assertThat(policy.decide(false, notifiedAt, true, clock.instant()).send())
                .isFalse();
        clock.advance(Duration.ofSeconds(1));
        Flush repeat = policy.decide(false, notifiedAt, true, clock.instant());
        assertThat(repeat.send()).isTrue();
        assertThat(repeat.forget()).isFalse();
        notifiedAt = clock.instant();

        // Everything resolved: one resolved notification, then the group is forgotten.
        clock.advance(Duration.ofMinutes(1));
        Flush resolved = policy.decide(true, notifiedAt, false, clock.instant());
        assertThat(resolved.send()).isTrue();
        assertThat(resolved.forget()).isTrue();
    }

    @Test
    void aGroupWithNothingFiringAndNothingToTellIsForgottenSilently() {
        Instant now = Instant.parse("2026-05-01T10:00:00Z");
        Flush flush = DEFAULTS.decide(false, now.minusSeconds(60), false, now);
        assertThat(flush.send()).isFalse();
        assertThat(flush.forget()).isTrue();
    }

    @Test
    void aRepeatIsNotSentForResolvedAlerts() {
        Instant now = Instant.parse("2026-05-01T10:00:00Z");
        assertThat(DEFAULTS.decide(false, now.minus(Duration.ofHours(5)), false, now)
                        .send())
                .isFalse();
        assertThat(DEFAULTS.decide(false, now.minus(Duration.ofHours(5)), true, now)
                        .send())
                .isTrue();
    }

    @Test
    void aResolvedAlertIsCarriedUntilANotificationWrittenTheRepeatIntervalAfterItResolvedCarriedIt() {
        Instant resolved = Instant.parse("2026-05-01T10:00:00Z");
        // Notifications written within the repeat interval (4h) after it resolved, or none yet: still carried, so the
        // next one (the first after a receiver's return, however close to the deadline) carries it.
        assertThat(DEFAULTS.stillCarries(resolved, null)).isTrue();
        assertThat(DEFAULTS.stillCarries(resolved, resolved.minusSeconds(60))).isTrue();
        assertThat(DEFAULTS.stillCarries(resolved, resolved.plus(Duration.ofHours(3))))
                .isTrue();
        assertThat(DEFAULTS.stillCarries(
                        resolved, resolved.plus(Duration.ofHours(4)).minusMillis(1)))
                .isTrue();
        // One written at or past it carried it: dropped.
        assertThat(DEFAULTS.stillCarries(resolved, resolved.plus(Duration.ofHours(4))))
                .isFalse();
        assertThat(DEFAULTS.stillCarries(resolved, resolved.plus(Duration.ofHours(5))))
                .isFalse();
    }
}
