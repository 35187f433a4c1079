package dev.rollguard.flag.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Stream URLs against the running service and its database: a connect checks its token once, and a URL of the release
 * before the binding stops opening streams once its API token's secret is set anew.
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
    void aUrlOfTheReleaseBeforeTheBindingStopsOpeningStreamsOnceItsTokensSecretIsSetAnew() throws Exception {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String name = "v1-client-" + suffix;
        store(name, "v1-first-secret-" + suffix);
        Caller first = tokens.authenticate("v1-first-secret-" + suffix).orElseThrow();
        Instant setAt = first.secretSetAt();
        assertThat(setAt).as("a new token records when its secret was set").isNotNull();

        // Started again with the same secret: the time stays.
        store(name, "v1-first-secret-" + suffix);
        assertThat(tokens.authenticate("v1-first-secret-" + suffix)
                        .orElseThrow()
                        .secretSetAt())
                .isEqualTo(setAt);

        // A URL issued after the secret was set (the expiry is one TTL after its issue, in whole seconds).
        await().atMost(Duration.ofSeconds(5)).until(() -> Instant.now().getEpochSecond() > setAt.getEpochSecond());
        long ttl = config.streamTokens().ttl().toSeconds();
        String url = root + "ofrep/v1/events?token="
                + streamTokens.signPayload(
                        "v1",
                        StreamTokens.SCOPE + "|" + first.tokenId() + "|"
                                + (Instant.now().getEpochSecond() + ttl));
        try (Stream<String> opened = connect(url).body()) {
            assertThat(streamTokens.verify(url.substring(url.indexOf("=") + 1)))
                    .isEqualTo(new StreamTokens.Accepted(first, false));
        }

        // The same bootstrap name, a new secret: the id stays, the URL issued before it no longer opens a stream.
        store(name, "v1-second-secret-" + suffix);
        Caller second = tokens.authenticate("v1-second-secret-" + suffix).orElseThrow();
        assertThat(second.tokenId()).isEqualTo(first.tokenId());
        assertThat(second.secretSetAt()).isAfter(setAt);
        assertThat(refusal(url)).contains("UNAUTHENTICATED").contains("has been given another secret");
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
