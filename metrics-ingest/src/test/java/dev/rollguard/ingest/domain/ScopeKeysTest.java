package dev.rollguard.ingest.domain;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.ScopeType;
import org.junit.jupiter.api.Test;

/** Flag cohort scope keys as docs/contracts.md names them, and read back. */
class ScopeKeysTest {

    @Test
    void flagCohortKeysNameTheFlagTheCohortInLowerCaseAndTheVariant() {
        assertThat(ScopeKeys.flag("checkout", Cohort.TREATMENT)).isEqualTo("flag:checkout:treatment");
        assertThat(ScopeKeys.flag("checkout", Cohort.CONTROL)).isEqualTo("flag:checkout:control");
        assertThat(ScopeKeys.flag("checkout", Cohort.CONTROL, null)).isEqualTo("flag:checkout:control");
        assertThat(ScopeKeys.flag("checkout", Cohort.TREATMENT, "blue:v2"))
                .isEqualTo("flag:checkout:treatment:blue:v2");
    }

    @Test
    void flagCohortKeysReadBackIntoTheirParts() {
        for (Cohort cohort : Cohort.values()) {
            for (String variant : new String[] {null, "green", "a:b"}) {
                String key = ScopeKeys.flag("new-search", cohort, variant);

                assertThat(ScopeKeys.type(key)).isEqualTo(ScopeType.FLAG_COHORT);
                assertThat(ScopeKeys.flagKey(key)).isEqualTo("new-search");
                assertThat(ScopeKeys.cohort(key)).isEqualTo(cohort);
                assertThat(ScopeKeys.variant(key)).isEqualTo(variant);
                assertThat(ScopeKeys.recordKey(key)).isEqualTo("flag:new-search");
            }
        }
    }

    @Test
    void aWindowIsPublishableUnderEveryKeyTheTopologyMakesButNotUnderOneAForeignFlagKeySplit() {
        for (Cohort cohort : Cohort.values()) {
            for (String variant : new String[] {null, "green", "a:b"}) {
                assertThat(ScopeKeys.publishable(ScopeKeys.flag("replication.table-entries", cohort, variant)))
                        .isTrue();
            }
        }
        assertThat(ScopeKeys.publishable(ScopeKeys.GLOBAL)).isTrue();
        assertThat(ScopeKeys.publishable(ScopeKeys.table("todos:done"))).isTrue();
        // Made by an earlier version from exposures of the flag keys "a:b", "New" and "x" (no cohort part).
        assertThat(ScopeKeys.publishable("flag:a:b:treatment")).isFalse();
        assertThat(ScopeKeys.publishable("flag:a:b:control:green")).isFalse();
        assertThat(ScopeKeys.publishable("flag:New:treatment")).isFalse();
        assertThat(ScopeKeys.publishable("flag:x")).isFalse();
        assertThat(ScopeKeys.publishable("flag::treatment")).isFalse();
    }
}
