package dev.rollguard.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class BearerTokensTest {

    @Test
    void readsTheTokenOfABearerHeaderWhateverTheSchemeCase() {
        assertThat(BearerTokens.fromAuthorization("Bearer abc")).isEqualTo("abc");
        assertThat(BearerTokens.fromAuthorization("bearer abc")).isEqualTo("abc");
        assertThat(BearerTokens.fromAuthorization("BEARER   abc  ")).isEqualTo("abc");
    }

    @Test
    void findsNoTokenInAnAbsentEmptyOrOtherSchemeHeader() {
        assertThat(BearerTokens.fromAuthorization(null)).isNull();
        assertThat(BearerTokens.fromAuthorization("")).isNull();
        assertThat(BearerTokens.fromAuthorization("Bearer ")).isNull();
        assertThat(BearerTokens.fromAuthorization("Bearer    ")).isNull();
        assertThat(BearerTokens.fromAuthorization("Basic dXNlcjpwdw==")).isNull();
        assertThat(BearerTokens.fromAuthorization("Bearerabc")).isNull();
    }

    @Test
    void matchesOnlyTheSameToken() {
        assertThat(BearerTokens.matches("s3cret", "s3cret")).isTrue();
        assertThat(BearerTokens.matches("s3cret", "s3cre")).isFalse();
        assertThat(BearerTokens.matches("s3cret", "s3cret2")).isFalse();
        assertThat(BearerTokens.matches("s3cret", "S3CRET")).isFalse();
        assertThat(BearerTokens.matches("s3cret", null)).isFalse();
    }

    @Test
    void anUnsetOrBlankConfiguredTokenAcceptsNothing() {
        assertThat(BearerTokens.matches((String) null, "")).isFalse();
        assertThat(BearerTokens.matches("", "")).isFalse();
        assertThat(BearerTokens.matches("  ", "  ")).isFalse();
        assertThat(BearerTokens.matches(Optional.empty(), "x")).isFalse();
        assertThat(BearerTokens.matches(Optional.of(""), "")).isFalse();
        assertThat(BearerTokens.matches(Optional.of("x"), "x")).isTrue();
    }

    @Test
    void matchesAnyOfSeveralConfiguredTokens() {
        assertThat(BearerTokens.matchesAny(List.of("a1", "b2", ""), "b2")).isTrue();
        assertThat(BearerTokens.matchesAny(List.of("a1", "b2", ""), "")).isFalse();
        assertThat(BearerTokens.matchesAny(List.of(), "a1")).isFalse();
    }
}
