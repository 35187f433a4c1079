package dev.rollguard.rollback.domain;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The ids of the actions decided when a cooldown ended: the flag-service's Idempotency-Key, at most 200 characters. */
class RecheckIdTest {

    private static final String ALERT_ID = "9f86d081884c7d659a2feaa0c55ad015:1763796000000";

    @Test
    void theFirstRecheckIsTheAlertIdAsEveryReleaseNamedIt() {
        // The release before counted nothing and named the first recheck so: instances of both, side by side, make
        // one action of it (one id, one Idempotency-Key), never two.
        assertThat(RollbackRecord.recheckIdFor(ALERT_ID)).isEqualTo(ALERT_ID + ":after-cooldown");
    }

    @Test
    void aRecheckSkippedAgainCountsOnInsteadOfStackingSuffixes() {
        String id = RollbackRecord.recheckIdFor(ALERT_ID);
        for (int n = 2; n <= 12; n++) {
            id = RollbackRecord.recheckIdFor(id);
            assertThat(id).isEqualTo(ALERT_ID + ":after-cooldown-" + n);
        }
    }

    @Test
    void theRecheckOfAnActionNamedBeforeRechecksWereCountedCountsItsSuffixes() {
        assertThat(RollbackRecord.recheckIdFor(ALERT_ID + ":after-cooldown")).isEqualTo(ALERT_ID + ":after-cooldown-2");
        assertThat(RollbackRecord.recheckIdFor(ALERT_ID + ":after-cooldown:after-cooldown"))
                .isEqualTo(ALERT_ID + ":after-cooldown-3");
    }

    @Test
    void anAlertIdTooLongToKeepWholeIsCutToAPrefixAndItsHashTheSameEveryTime() {
        String longId = "fp-" + "x".repeat(400) + ":1763796000000";

        String first = RollbackRecord.recheckIdFor(longId);

        assertThat(first).hasSizeLessThanOrEqualTo(RollbackRecord.MAX_ID).endsWith(":after-cooldown");
        assertThat(first).startsWith("fp-xxx");
        assertThat(RollbackRecord.recheckIdFor(longId))
                .as("the same after a restart")
                .isEqualTo(first);
        String base = first.substring(0, first.length() - ":after-cooldown".length());
        assertThat(RollbackRecord.recheckIdFor(first)).isEqualTo(base + ":after-cooldown-2");
    }

    @Test
    void longAlertIdsThatDifferOnlyAtTheEndKeepDistinctRecheckIds() {
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            ids.add(RollbackRecord.recheckIdFor("fp-" + "x".repeat(300) + ":" + (1763796000000L + i)));
        }

        assertThat(ids).hasSize(100);
    }

    @Test
    void anIdNeverGoesOverTheLimitWhateverTheAlertIdAndTheCount() {
        String longest = "x".repeat(RollbackRecord.MAX_RECHECK_BASE);
        assertThat(RollbackRecord.recheckIdFor(longest)).isEqualTo(longest + ":after-cooldown");
        assertThat(RollbackRecord.recheckIdFor(longest + ":after-cooldown-" + "9".repeat(18)))
                .hasSize(RollbackRecord.MAX_ID)
                .startsWith(longest + ":after-cooldown-1000");
        assertThat(RollbackRecord.recheckIdFor("x".repeat(RollbackRecord.MAX_RECHECK_BASE + 1)))
                .hasSizeLessThanOrEqualTo(RollbackRecord.MAX_ID);
    }

    @Test
    void aCutNeverSplitsACharacter() {
        // Characters outside the BMP take two chars; the cut falls between the two halves of one of them.
        String id = RollbackRecord.recheckIdFor("a" + "\uD83D\uDE00".repeat(200));

        assertThat(id).hasSizeLessThanOrEqualTo(RollbackRecord.MAX_ID);
        assertThat(new String(id.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8))
                .as("no lone surrogate")
                .isEqualTo(id);
    }
}
