package dev.rollguard.alert.domain.silence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.regex.PatternSyntaxException;
import org.junit.jupiter.api.Test;

class SilenceTest {

    private static final Instant START = Instant.parse("2026-08-01T10:00:00Z");
    private static final Instant END = Instant.parse("2026-08-01T12:00:00Z");
    private static final Map<String, String> CHECKOUT =
            Map.of("alertname", "Guard", "severity", "critical", "flag", "checkout-v2", "scope_type", "FLAG_COHORT");
    private static final Map<String, String> TABLE =
            Map.of("alertname", "Slow orders", "severity", "warning", "table", "orders", "scope_type", "TABLE");

    private static Silence silence(Matcher... matchers) {
        return new Silence("s", List.of(matchers), START, END, "ana", "maintenance", START, null, null);
    }

    @Test
    void equalityMatchersMatchTheLabelValueExactly() {
        Silence flag = silence(new Matcher("flag", "checkout-v2", false, true));
        assertThat(flag.silences(CHECKOUT, START.plusSeconds(1))).isTrue();
        assertThat(flag.silences(TABLE, START.plusSeconds(1)))
                .as("no flag label")
                .isFalse();
        assertThat(silence(new Matcher("flag", "checkout", false, true)).silences(CHECKOUT, START))
                .isFalse();
    }

    @Test
    void negativeAndRegexMatchersWorkAsInAlertmanager() {
        Instant now = START.plusSeconds(60);
        Silence notCritical = silence(new Matcher("severity", "critical", false, false));
        assertThat(notCritical.silences(TABLE, now)).isTrue();
        assertThat(notCritical.silences(CHECKOUT, now)).isFalse();

        Silence checkoutFlags = silence(new Matcher("flag", "checkout-.*", true, true));
        assertThat(checkoutFlags.silences(CHECKOUT, now)).isTrue();
        assertThat(silence(new Matcher("flag", "checkout", true, true)).silences(CHECKOUT, now))
                .as("a regular expression matches the whole value")
                .isFalse();
        assertThat(silence(new Matcher("scope_type", "TABLE|PLATFORM", true, true))
                        .silences(TABLE, now))
                .isTrue();
        assertThat(silence(new Matcher("flag", ".+", true, false)).silences(TABLE, now))
                .as("an absent label is the empty string")
                .isTrue();
    }

    @Test
    void everyMatcherMustMatch() {
        Silence both = silence(
                new Matcher("severity", "critical", false, true), new Matcher("flag", "checkout-v2", false, true));
        assertThat(both.silences(CHECKOUT, START)).isTrue();
        assertThat(both.silences(Map.of("severity", "critical", "flag", "search"), START))
                .isFalse();
    }

    @Test
    void aSilenceHoldsFromItsStartUntilItsEnd() {
        Silence flag = silence(new Matcher("flag", "checkout-v2", false, true));
        assertThat(flag.state(START.minusSeconds(1))).isEqualTo(Silence.State.PENDING);
        assertThat(flag.silences(CHECKOUT, START.minusSeconds(1))).isFalse();
        assertThat(flag.state(START)).isEqualTo(Silence.State.ACTIVE);
        assertThat(flag.silences(CHECKOUT, END.minusMillis(1))).isTrue();
        assertThat(flag.state(END)).isEqualTo(Silence.State.EXPIRED);
        assertThat(flag.silences(CHECKOUT, END)).isFalse();
        assertThat(Silence.anySilences(List.of(flag), CHECKOUT, START)).isTrue();
        assertThat(Silence.anySilences(List.of(), CHECKOUT, START)).isFalse();
    }

    @Test
    void anInvalidRegularExpressionIsRefusedWhenMade() {
        assertThatThrownBy(() -> new Matcher("flag", "checkout-(", true, true))
                .isInstanceOf(PatternSyntaxException.class);
        assertThat(new Matcher("flag", "checkout-(", false, true).toString()).isEqualTo("flag=\"checkout-(\"");
        assertThat(new Matcher("flag", "a.*", true, false).toString()).isEqualTo("flag!~\"a.*\"");
    }
}
