package dev.rollguard.console.view;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FormatsTest {

    @Test
    void theGuardsToleranceReadsAsAShareWorseThanControl() {
        assertThat(Formats.threshold("failure", "GUARD", 0.2))
                .isEqualTo("GUARD tolerance: at most 20 % worse than control");
        assertThat(Formats.threshold("sampleSize", "GT", 0.05)).isEqualTo("GT 0.0500");
    }

    @Test
    void aToleranceThatIsNoNumberIsShownAsItCameNotAsAnError() {
        assertThat(Formats.threshold("failure", "GUARD", Double.NaN)).isEqualTo("GUARD tolerance: NaN");
        assertThat(Formats.threshold("failure", "GUARD", Double.POSITIVE_INFINITY))
                .isEqualTo("GUARD tolerance: Infinity");
        assertThat(Formats.threshold("failure", "GUARD", Double.NEGATIVE_INFINITY))
                .isEqualTo("GUARD tolerance: -Infinity");
        assertThat(Formats.threshold("sampleSize", "GT", Double.NaN)).isEqualTo("GT -");
    }
}
