package dev.rollguard.flag.rest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.flag.service.FlagSnapshot;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** When the re-fetch of a change notification may be answered from what this instance holds. */
class RefetchHintTest {

    private static final Instant HELD_AT = Instant.parse("2026-12-02T10:00:00Z");
    private final FlagSnapshot.State held = new FlagSnapshot.State(Map.of(), Map.of(), null, "r2", HELD_AT);

    @Test
    void theEventsEtagAndLastModifiedAreReadAsTheStreamSendsThemOrAsIso8601() {
        assertThat(RefetchHint.of("\"r2\"", "1796205600")).isEqualTo(new RefetchHint("r2", 1796205600L));
        assertThat(RefetchHint.of("W/\"r2\"", "2026-12-02T10:00:00Z"))
                .isEqualTo(new RefetchHint("r2", HELD_AT.getEpochSecond()));
        assertThat(RefetchHint.of(null, "yesterday")).isEqualTo(new RefetchHint(null, null));
        assertThat(RefetchHint.of("\"\"", " ")).isEqualTo(new RefetchHint(null, null));
    }

    @Test
    void aChangeIsHeldUnlessItIsNewerOrAnotherRevisionAtLeastAsNew() {
        long at = HELD_AT.getEpochSecond();
        assertThat(RefetchHint.of(null, null).heldBy(held)).isTrue();
        assertThat(RefetchHint.of("\"r2\"", Long.toString(at)).heldBy(held)).isTrue();
        // An older change than this instance's newest: it moved on, whatever the revision.
        assertThat(RefetchHint.of("\"r1\"", Long.toString(at - 1)).heldBy(held)).isTrue();

        assertThat(RefetchHint.of(null, Long.toString(at + 1)).heldBy(held)).isFalse();
        assertThat(RefetchHint.of("\"r3\"", Long.toString(at)).heldBy(held)).isFalse();
        assertThat(RefetchHint.of("\"r3\"", null).heldBy(held)).isFalse();
    }
}
