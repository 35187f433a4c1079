package dev.rollguard.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The origin list Rollguard starts with (exact origins, or {@code *} alone) and the paths a scope covers. */
class CorsScopeTest {

    @Test
    void exactOriginsAndALoneWildcardAreAccepted() {
        assertThatCode(() -> CorsScope.checkOrigins(
                        List.of("https://app.example.com", "http://127.0.0.1:8000", "https://[::1]:8443")))
                .doesNotThrowAnyException();
        assertThatCode(() -> CorsScope.checkOrigins(List.of("*"))).doesNotThrowAnyException();
        assertThatCode(() -> CorsScope.checkOrigins(List.of())).doesNotThrowAnyException();
    }

    @Test
    void patternsPathsAndAWildcardAmongOriginsStopTheStart() {
        for (String origin : List.of(
                "/https://.*\\.example\\.com/",
                "https://app.example.com/",
                "https://app.example.com/page",
                "https://app.example.com?x=1",
                "https://user@app.example.com",
                "app.example.com",
                "ftp://app.example.com",
                "https://*.example.com",
                "null")) {
            assertThatThrownBy(() -> CorsScope.checkOrigins(List.of(origin)))
                    .as(origin)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("quarkus.http.cors.origins");
        }
        assertThatThrownBy(() -> CorsScope.checkOrigins(List.of("*", "https://app.example.com")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("only entry");
    }

    @Test
    void aPrefixCoversThePathsUnderItAndAnExactPathOnlyItself() {
        CorsScope.Paths under = CorsScope.Paths.under("/ofrep/v1/");
        assertThat(under.cover("/ofrep/v1/")).isTrue();
        assertThat(under.cover("/ofrep/v1/evaluate/flags/checkout")).isTrue();
        assertThat(under.cover("/ofrep/v1")).isFalse();
        assertThat(under.cover("/api/flags")).isFalse();

        CorsScope.Paths exactly = CorsScope.Paths.exactly("/api/telemetry");
        assertThat(exactly.cover("/api/telemetry")).isTrue();
        assertThat(exactly.cover("/api/telemetry/")).isFalse();
        assertThat(exactly.cover("/api/telemetry/batch")).isFalse();
        assertThat(exactly.cover("/q/health")).isFalse();
    }
}
