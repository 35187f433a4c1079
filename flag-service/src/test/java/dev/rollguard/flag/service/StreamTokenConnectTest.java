package dev.rollguard.flag.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.flag.FlagServiceInfra;
import dev.rollguard.flag.config.FlagServiceConfig;
import dev.rollguard.flag.domain.Caller;
import dev.rollguard.flag.domain.TokenKind;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.vertx.VertxContextSupport;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.DriverManager;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Stream URLs against the running service and its database: a connect checks its token once, a URL of the release
 * before the binding stops opening streams once its API token's secret is set anew after the window it was issued in,
 * and what was issued to a revoked token is forgotten.
 */
@QuarkusTest
@QuarkusTestResource(FlagServiceInfra.class)
class StreamTokenConnectTest {

    @Inject
    TokenService tokens;

    @Inject
    StreamTokens streamTokens;

    @Inject
    FlagServiceConfig config;

    @TestHTTPResource("/")
    URL root;

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void aConnectChecksItsStreamTokenOnce() throws Exception {
        Caller client = tokens.authenticate("test-client-token").orElseThrow();
        String url = root + "ofrep/v1/events?token=" + streamTokens.issue(client);

        long before = streamTokens.verifications();
        HttpResponse<Stream<String>> stream = http.sendAsync(
                        HttpRequest.newBuilder(URI.create(url))
                                .header("Accept", "text/event-stream")
                                .build(),
                        HttpResponse.BodyHandlers.ofLines())
                .get(10, TimeUnit.SECONDS);
        try {
            assertThat(stream.statusCode()).isEqualTo(200);
            assertThat(streamTokens.verifications() - before).isEqualTo(1);
        } finally {
            stream.body().close();
        }

        long beforeRefusal = streamTokens.verifications();
        refusal(url + "x");
        assertThat(streamTokens.verifications() - beforeRefusal).isEqualTo(1);
    }

    @Test
    void aUrlOfTheReleaseBeforeTheBindingStopsOpeningStreamsOnceItsTokensSecretIsSetAnewAfterItsIssueWindow()
            throws Exception {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String name = "v1-client-" + suffix;
        store(name, "v1-first-secret-" + suffix);
        Caller stored = tokens.authenticate("v1-first-secret-" + suffix).orElseThrow();
        Instant setAt = stored.secretSetAt();
        assertThat(setAt).as("a new token records when its secret was set").isNotNull();

        // Started again with the same secret: the time stays.
        store(name, "v1-first-secret-" + suffix);
        assertThat(tokens.authenticate("v1-first-secret-" + suffix)
                        .orElseThrow()
                        .secretSetAt())
                .isEqualTo(setAt);

        // The secret set a TTL ago, so that a URL of the half-TTL window before this one was issued after it.
        long ttl = config.streamTokens().ttl().toSeconds();
        long half = ttl / 2;
        setSecretSetAt(name, setAt.minusSeconds(ttl));
        awaitUni(tokens::reload);
        Caller first = tokens.authenticate("v1-first-secret-" + suffix).orElseThrow();
        assertThat(first.secretSetAt()).isEqualTo(setAt.minusSeconds(ttl));

        // That release issued in half-TTL windows, expiring a TTL after the window began: this URL was issued in the
        // window before the current one, and that window ends as the current one begins.
        long window = Instant.now().getEpochSecond() / half;
        String url = v1Url(first.tokenId(), (window + 1) * half);
        try (Stream<String> opened = connect(url).body()) {
            assertThat(streamTokens.verify(url.substring(url.indexOf("=") + 1)))
                    .isEqualTo(new StreamTokens.Accepted(first, false));
        }

        // The same bootstrap name, a new secret (in the current window): the id stays, the URL of the window that
        // ended before it no longer opens a stream.
        store(name, "v1-second-secret-" + suffix);
        Caller second = tokens.authenticate("v1-second-secret-" + suffix).orElseThrow();
        assertThat(second.tokenId()).isEqualTo(first.tokenId());
        assertThat(second.secretSetAt()).isAfter(setAt);
        assertThat(refusal(url)).contains("UNAUTHENTICATED").contains("has been given another secret");

        // A URL of the window in which the secret was set (a replica still on that release may have issued it after
        // the new secret, under it) opens the stream.
        String ofTheNewSecretsWindow =
                v1Url(first.tokenId(), (second.secretSetAt().getEpochSecond() / half + 2) * half);
        try (Stream<String> opened = connect(ofTheNewSecretsWindow).body()) {
            assertThat(streamTokens.verify(ofTheNewSecretsWindow.substring(ofTheNewSecretsWindow.indexOf("=") + 1)))
                    .isEqualTo(new StreamTokens.Accepted(second, false));
        }
    }

    @Test
    void theUrlIssuedToARevokedTokenIsForgottenAtTheNextTableInstalled() throws Exception {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String name = "forgotten-client-" + suffix;
        store(name, "forgotten-secret-" + suffix);
        Caller caller = tokens.authenticate("forgotten-secret-" + suffix).orElseThrow();
        streamTokens.issue(caller);
        assertThat(streamTokens.holdsIssued(caller.tokenId())).isTrue();

        // Revoked in the table, as another instance revokes it, then reloaded here.
        try (var db = DriverManager.getConnection(FlagServiceInfra.jdbcUrl(), "postgres", "");
                var update = db.prepareStatement("UPDATE api_tokens SET revoked_at = now() WHERE name = ?")) {
            update.setString(1, name);
            assertThat(update.executeUpdate()).isEqualTo(1);
        }
        awaitUni(tokens::reload);
        assertThat(tokens.active(caller.tokenId())).isEmpty();
        assertThat(streamTokens.holdsIssued(caller.tokenId())).isFalse();
    }

    /** A stream URL as the release before the binding issued it: {@code v1}, scope, API token id and expiry. */
    private String v1Url(UUID tokenId, long expiry) {
        return root + "ofrep/v1/events?token="
                + streamTokens.signPayload("v1", StreamTokens.SCOPE + "|" + tokenId + "|" + expiry);
    }

    private static void setSecretSetAt(String name, Instant setAt) throws Exception {
        try (var db = DriverManager.getConnection(FlagServiceInfra.jdbcUrl(), "postgres", "");
                var update = db.prepareStatement("UPDATE api_tokens SET secret_set_at = ? WHERE name = ?")) {
            update.setObject(1, OffsetDateTime.ofInstant(setAt, ZoneOffset.UTC));
            update.setString(2, name);
            assertThat(update.executeUpdate()).isEqualTo(1);
        }
    }

    /** The body of a 401 to a connect; a stream that opens fails the test at once instead of being read for good. */
    private String refusal(String url) throws Exception {
        HttpResponse<Stream<String>> response = http.sendAsync(
                        HttpRequest.newBuilder(URI.create(url))
                                .header("Accept", "text/event-stream")
                                .build(),
                        HttpResponse.BodyHandlers.ofLines())
                .get(10, TimeUnit.SECONDS);
        try (Stream<String> body = response.body()) {
            assertThat(response.statusCode()).as("refused").isEqualTo(401);
            return body.collect(Collectors.joining("\n"));
        }
    }

    private HttpResponse<Stream<String>> connect(String url) throws Exception {
        HttpResponse<Stream<String>> response = http.sendAsync(
                        HttpRequest.newBuilder(URI.create(url))
                                .header("Accept", "text/event-stream")
                                .build(),
                        HttpResponse.BodyHandlers.ofLines())
                .get(10, TimeUnit.SECONDS);
        assertThat(response.statusCode()).as("the stream opens").isEqualTo(200);
        return response;
    }

    private void store(String name, String secret) throws Exception {
        awaitUni(() -> tokens.storeBootstrap(
                List.of(new TokenService.BootstrapToken(name, TokenKind.CLIENT, Optional.of(secret)))));
        awaitUni(tokens::reload);
    }

    private static <T> T awaitUni(Supplier<io.smallrye.mutiny.Uni<T>> uni) throws Exception {
        try {
            return VertxContextSupport.subscribeAndAwait(uni);
        } catch (Exception | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
