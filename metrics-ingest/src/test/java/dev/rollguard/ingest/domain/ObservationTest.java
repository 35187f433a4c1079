package dev.rollguard.ingest.domain;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Storage used as a share of the quota: over the quota is kept, a unit mistake is capped. */
class ObservationTest {

    private static Observation storage(long used, long quota) {
        return new Observation(
                TelemetryKind.UPLOAD, 0, true, 10, 1, "t", used, quota, -1, -1, -1, 5, false, null, null);
    }

    @Test
    void storageUsedIsAShareOfTheQuotaCappedAtTenTimesIt() {
        assertThat(storage(25, 100).storageUsedPct()).isEqualTo(25);
        assertThat(storage(150, 100).storageUsedPct()).as("over a soft quota").isEqualTo(150);
        assertThat(storage(1_000, 100).storageUsedPct()).isEqualTo(Observation.MAX_STORAGE_USED_PCT);
        // A quota reported in kilobytes, or a used figure of 9e18 bytes against a quota of 1.
        assertThat(storage(50_000_000, 50_000).storageUsedPct()).isEqualTo(Observation.MAX_STORAGE_USED_PCT);
        assertThat(storage(Long.MAX_VALUE, 1).storageUsedPct()).isEqualTo(Observation.MAX_STORAGE_USED_PCT);
        assertThat(storage(-1, 100).storageUsedPct()).isEqualTo(-1);
        assertThat(storage(10, 0).storageUsedPct()).isEqualTo(-1);
    }
}
