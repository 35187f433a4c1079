package dev.rollguard.console.view;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FormatsTest {

    @Test
    void theGuardsToleranceReadsAsAShareWorseThanControl() {
        assertThat(Formats.threshold("GUARD", 0.2)).isEqualTo("GUARD tolerance: at most 20 % worse than control");
        assertThat(Formats.threshold("GT", 0.05)).isEqualTo("GT 0.0500");
    }

    @Test
    void aToleranceThatIsNoNumberIsShownAsItCameNotAsAnError() {
        assertThat(Formats.threshold("GUARD", Double.NaN)).isEqualTo("GUARD tolerance: NaN");
        assertThat(Formats.threshold("GUARD", Double.POSITIVE_INFINITY)).isEqualTo("GUARD tolerance: Infinity");
        assertThat(Formats.threshold("GUARD", Double.NEGATIVE_INFINITY)).isEqualTo("GUARD tolerance: -Infinity");
        assertThat(Formats.threshold("GT", Double.NaN)).isEqualTo("GT -");
    }
}
