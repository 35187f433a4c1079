package dev.rollguard.alert.domain.grouping;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Durations as Alertmanager writes them. */
class DurationTextTest {

    @Test
    void readsEachUnitAndCombinations() {
        assertThat(DurationText.parse("10s")).contains(Duration.ofSeconds(10));
        assertThat(DurationText.parse("1m")).contains(Duration.ofMinutes(1));
        assertThat(DurationText.parse("4h")).contains(Duration.ofHours(4));
        assertThat(DurationText.parse("2d")).contains(Duration.ofDays(2));
        assertThat(DurationText.parse("500ms")).contains(Duration.ofMillis(500));
        assertThat(DurationText.parse("1h30m")).contains(Duration.ofMinutes(90));
        assertThat(DurationText.parse("0s")).contains(Duration.ZERO);
    }

    @Test
    void refusesWhatIsNotADuration() {
        for (String text : new String[] {"", "10", "s", "-1s", "1.5s", "10x", "1m1h", "1s1s", " 1s", "PT10S", "1 s"}) {
            assertThat(DurationText.parse(text)).as(text).isEmpty();
            assertThat(text.matches(DurationText.PATTERN)).as(text).isFalse();
        }
        assertThat(DurationText.parse("99999999999999999999d")).isEmpty();
        assertThat(DurationText.parse(null)).isEmpty();
    }

    @Test
    void writesTheShortestForm() {
        assertThat(DurationText.format(Duration.ofSeconds(10))).isEqualTo("10s");
        assertThat(DurationText.format(Duration.ofMinutes(90))).isEqualTo("1h30m");
        assertThat(DurationText.format(Duration.ofHours(4))).isEqualTo("4h");
        assertThat(DurationText.format(Duration.ofMillis(1500))).isEqualTo("1s500ms");
        assertThat(DurationText.format(Duration.ZERO)).isEqualTo("0s");
        for (String text : new String[] {"10s", "1m", "4h", "1h30m", "500ms", "1d2h3m4s5ms"}) {
            assertThat(DurationText.format(DurationText.parse(text).orElseThrow()))
                    .isEqualTo(text);
            assertThat(text.matches(DurationText.PATTERN)).as(text).isTrue();
        }
    }
}
