package dev.rollguard.flag;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rollguard.flag.service.StreamTokenFixtures;
import dev.rollguard.flag.service.TokenService;
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
import java.util.Base64;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * The server-sent change stream: a refetch event with the new ETag shortly after every change, for as long as the
 * token that opened it is valid.
 */
@QuarkusTest
@QuarkusTestResource(FlagServiceInfra.class)
class ChangeStreamTest {

    @TestHTTPResource("/ofrep/v1/events")
    URL events;

    @ConfigProperty(name = "flag-service.stream-tokens.secret")
    String streamTokenSecret;

    @ConfigProperty(name = "flag-service.stream-tokens.ttl")
    Duration streamTokenTtl;

    @Inject
    TokenService tokens;

    // HTTP/1.1 as browsers' EventSource uses it (the JDK client would otherwise try an h2c upgrade).
    private final HttpClient http =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @Test
    void aChangeReachesSubscribersWithinAFractionOfASecond() throws Exception {
        String key = Api.key("streamed");
        Api.create(Map.of("key", key, "enabled", true, "rolloutPercentage", 100));

        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        CompletableFuture<HttpResponse<Stream<String>>> response = http.sendAsync(
                HttpRequest.newBuilder(URI.create(events.toString()))
                        .header("Authorization", "Bearer " + Api.CLIENT)
                        .header("Accept", "text/event-stream")
                        .build(),
                HttpResponse.BodyHandlers.ofLines());
        Thread reader = new Thread(() -> response.join().body().forEach(lines::add), "sse-reader");
        reader.setDaemon(true);
        reader.start();
        try {
            assertThat(response.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            awaitLine(lines, l -> l.startsWith(":") && l.contains("connected"), Duration.ofSeconds(10));

            long start = System.nanoTime();
            Api.kill(key, "streamed kill");
            String data = awaitLine(lines, l -> l.startsWith("data:"), Duration.ofSeconds(5));
            long millis = (System.nanoTime() - start) / 1_000_000;

            JsonNode event = new ObjectMapper().readTree(data.substring("data:".length()));
            assertThat(event.get("type").asText()).isEqualTo("refetchEvaluation");
            String revision = Api.client()
                    .body("{\"context\":{\"targetingKey\":\"u1\"}}")
                    .post("/ofrep/v1/evaluate/flags")
                    .jsonPath()
                    .getString("metadata.revision");
            assertThat(event.get("etag").asText()).isEqualTo("\"" + revision + "\"");
            assertThat(event.get("lastModified").asLong()).isPositive();
            // The kill call itself returns after the commit; the event follows it at once.
            assertThat(millis).as("kill to event, ms").isLessThan(1000);
        } finally {
            response.cancel(true);
            reader.interrupt();
        }
    }

    @Test
    void theStreamNeedsAToken() throws Exception {
        HttpResponse<Void> response = http.send(
                HttpRequest.newBuilder(URI.create(events.toString())).build(), HttpResponse.BodyHandlers.discarding());
        assertThat(response.statusCode()).isEqualTo(401);
    }

    @Test
    void revokingATokenThroughTheApiEndsItsOpenStreamsAndOnlyThose() throws Exception {
        String name = Api.key("revoked-web-app");
        String secret = newClientToken(name);
        String url = advertisedUrl(secret);
        OpenStream byHeader = open(URI.create(events.toString()), secret);
        OpenStream byUrl = open(URI.create(url), null);
        OpenStream other = open(URI.create(events.toString()), Api.CLIENT);
        try {
            for (OpenStream stream : new OpenStream[] {byHeader, byUrl, other}) {
                awaitLine(stream.lines(), l -> l.startsWith(":") && l.contains("connected"), Duration.ofSeconds(10));
            }

            Api.admin().delete("/api/tokens/" + name).then().statusCode(200);

            // Closed by the server, cleanly: the body ends without an error.
            assertThat(byHeader.ended().get(10, TimeUnit.SECONDS)).isEqualTo("ended");
            assertThat(byUrl.ended().get(10, TimeUnit.SECONDS)).isEqualTo("ended");
            // An EventSource reconnects, and is refused.
            assertThat(status(URI.create(events.toString()), secret)).isEqualTo(401);
            assertThat(status(URI.create(url), null)).isEqualTo(401);

            // Another token's stream goes on.
            String key = Api.key("after-revocation");
            Api.create(Map.of("key", key, "enabled", true, "rolloutPercentage", 100));
            awaitLine(other.lines(), l -> l.startsWith("data:"), Duration.ofSeconds(10));
            assertThat(other.ended()).isNotDone();
        } finally {
            byHeader.close();
            byUrl.close();
            other.close();
        }
    }

    @Test
    void aRevocationOnAnotherInstanceEndsTheStreamAtTheNextTokenReload() throws Exception {
        String name = Api.key("revoked-elsewhere");
        String secret = newClientToken(name);
        OpenStream byHeader = open(URI.create(events.toString()), secret);
        OpenStream byUrl = open(URI.create(advertisedUrl(secret)), null);
        try {
            awaitLine(byHeader.lines(), l -> l.startsWith(":") && l.contains("connected"), Duration.ofSeconds(10));
            awaitLine(byUrl.lines(), l -> l.startsWith(":") && l.contains("connected"), Duration.ofSeconds(10));

            // What another instance's revocation leaves in the shared table; this instance learns of it by its reload
            // (every 2 s in the test profile).
            try (var db = DriverManager.getConnection(FlagServiceInfra.jdbcUrl(), "postgres", "");
                    var revoke = db.prepareStatement("UPDATE api_tokens SET revoked_at = now() WHERE name = ?")) {
                revoke.setString(1, name);
                assertThat(revoke.executeUpdate()).isEqualTo(1);
            }

            assertThat(byHeader.ended().get(15, TimeUnit.SECONDS)).isEqualTo("ended");
            assertThat(byUrl.ended().get(15, TimeUnit.SECONDS)).isEqualTo("ended");
            assertThat(status(URI.create(events.toString()), secret)).isEqualTo(401);
        } finally {
            byHeader.close();
            byUrl.close();
        }
    }

    @Test
    void aNewSecretOfABootstrapTokenEndsTheStreamsOfItsOldUrlAndRefusesThatUrl() throws Throwable {
        String oldUrl = advertisedUrl(Api.CLIENT);
        String untouched = newClientToken(Api.key("untouched-web-app"));
        OpenStream byOldUrl = open(URI.create(oldUrl), null);
        OpenStream byOldSecret = open(URI.create(events.toString()), Api.CLIENT);
        OpenStream other = open(URI.create(advertisedUrl(untouched)), null);
        String rotatedSecret = "rotated-" + Api.CLIENT;
        try {
            for (OpenStream stream : new OpenStream[] {byOldUrl, byOldSecret, other}) {
                awaitLine(stream.lines(), l -> l.startsWith(":") && l.contains("connected"), Duration.ofSeconds(10));
            }

            // What an instance started with a new ROLLGUARD_CLIENT_TOKEN writes (the same row, id and name, another
            // hash); this instance learns of it at its next token reload (every 2 s in the test profile).
            setClientTokenHash(TokenService.hash(rotatedSecret));

            assertThat(byOldUrl.ended().get(15, TimeUnit.SECONDS)).isEqualTo("ended");
            assertThat(byOldSecret.ended().get(15, TimeUnit.SECONDS)).isEqualTo("ended");
            // An EventSource reconnects with the URL it holds, and is refused with the module's JSON error.
            HttpResponse<String> refused = http.send(
                    HttpRequest.newBuilder(URI.create(oldUrl))
                            .header("Accept", "text/event-stream")
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(refused.statusCode()).isEqualTo(401);
            JsonNode error = new ObjectMapper().readTree(refused.body());
            assertThat(error.get("code").asText()).isEqualTo("UNAUTHENTICATED");
            assertThat(error.get("message").asText())
                    .startsWith("the token this stream URL was issued to has been given another secret");

            // The holder of the new secret gets a new URL, which opens the stream.
            String newUrl = advertisedUrl(rotatedSecret);
            assertThat(newUrl).isNotEqualTo(oldUrl);
            OpenStream byNewUrl = open(URI.create(newUrl), null);
            try {
                awaitLine(byNewUrl.lines(), l -> l.startsWith(":") && l.contains("connected"), Duration.ofSeconds(10));
            } finally {
                byNewUrl.close();
            }

            // The stream of an untouched token's URL goes on.
            String key = Api.key("after-new-secret");
            Api.create(Map.of("key", key, "enabled", true, "rolloutPercentage", 100));
            awaitLine(other.lines(), l -> l.startsWith("data:"), Duration.ofSeconds(10));
            assertThat(other.ended()).isNotDone();
        } finally {
            byOldUrl.close();
            byOldSecret.close();
            other.close();
            // Other tests use the client token.
            setClientTokenHash(TokenService.hash(Api.CLIENT));
            VertxContextSupport.subscribeAndAwait(tokens::reload);
        }
    }

    @Test
    void aUrlOfANewSecretHandedOutByAnotherInstanceOpensTheStreamBeforeThisInstanceReloadsItsTokens() throws Exception {
        String name = Api.key("rotated-elsewhere");
        String secret = newClientToken(name);
        String oldUrl = advertisedUrl(secret);
        UUID tokenId = tokenIdOf(oldUrl);
        String newHash = TokenService.hash("rotated-" + secret);

        // Another instance stores the token's new secret (same row, id and name), installs it and hands out a URL
        // bound to it; this instance's table still holds the old secret until its next reload (2 s in the test
        // profile), and a 401 would end the browser's EventSource for good.
        setTokenHash(name, newHash);
        String newUrl = events + "?token=" + StreamTokenFixtures.issue(streamTokenSecret, tokenId, newHash);
        OpenStream byNewUrl = open(URI.create(newUrl), null);
        try {
            awaitLine(byNewUrl.lines(), l -> l.startsWith(":") && l.contains("connected"), Duration.ofSeconds(10));

            // The old secret's URL is refused all the same, once this instance holds the new secret.
            HttpResponse<String> refused = http.send(
                    HttpRequest.newBuilder(URI.create(oldUrl))
                            .header("Accept", "text/event-stream")
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(refused.statusCode()).isEqualTo(401);
            assertThat(new ObjectMapper()
                            .readTree(refused.body())
                            .get("message")
                            .asText())
                    .startsWith("the token this stream URL was issued to has been given another secret");

            String key = Api.key("after-new-secret-elsewhere");
            Api.create(Map.of("key", key, "enabled", true, "rolloutPercentage", 100));
            awaitLine(byNewUrl.lines(), l -> l.startsWith("data:"), Duration.ofSeconds(10));
            assertThat(byNewUrl.ended()).isNotDone();
        } finally {
            byNewUrl.close();
        }
    }

    @Test
    void aUrlOfTheReleaseBeforeTheBindingOpensTheStreamUntilItExpiresAndOnlyARevocationEndsIt() throws Throwable {
        String name = Api.key("web-app-of-the-release-before");
        String secret = newClientToken(name);
        UUID tokenId = tokenIdOf(advertisedUrl(secret));
        // A token stored before the time its secret was set was recorded: the URLs of that release are taken as
        // issued under its current secret.
        forgetSecretSetAt(name);
        VertxContextSupport.subscribeAndAwait(tokens::reload);
        // What the release before the binding handed out: v1, scope, API token id and expiry, under the same key.
        URI earlierUrl = URI.create(events + "?token="
                + StreamTokenFixtures.signUnbound(
                        streamTokenSecret,
                        "ofrep-events|" + tokenId + "|"
                                + Instant.now().plus(Duration.ofHours(12)).getEpochSecond()));
        URI expiredUrl = URI.create(events + "?token="
                + StreamTokenFixtures.signUnbound(
                        streamTokenSecret,
                        "ofrep-events|" + tokenId + "|"
                                + Instant.now().minusSeconds(60).getEpochSecond()));

        OpenStream stream = open(earlierUrl, null);
        try {
            awaitLine(stream.lines(), l -> l.startsWith(":") && l.contains("connected"), Duration.ofSeconds(10));
            assertThat(status(expiredUrl, null)).as("one past its expiry").isEqualTo(401);

            // It is not bound to the secret: a new hash whose time is not recorded neither ends its stream nor
            // refuses it.
            setTokenHash(name, TokenService.hash("rotated-" + secret));
            VertxContextSupport.subscribeAndAwait(tokens::reload);
            String key = Api.key("after-new-secret-of-unbound");
            Api.create(Map.of("key", key, "enabled", true, "rolloutPercentage", 100));
            awaitLine(stream.lines(), l -> l.startsWith("data:"), Duration.ofSeconds(10));
            assertThat(stream.ended()).isNotDone();
            assertThat(status(earlierUrl, null)).isEqualTo(200);

            // Revoking its API token ends the stream and refuses the URL.
            Api.admin().delete("/api/tokens/" + name).then().statusCode(200);
            assertThat(stream.ended().get(10, TimeUnit.SECONDS)).isEqualTo("ended");
            assertThat(status(earlierUrl, null)).isEqualTo(401);
        } finally {
            stream.close();
        }
    }

    @Test
    void aUrlOfTheReleaseBeforeTheBindingEndsItsStreamWhenItsTokenIsRevokedAndActiveAgainUnderANewSecret()
            throws Throwable {
        String name = Api.key("web-app-revoked-and-back");
        String secret = newClientToken(name);
        UUID tokenId = tokenIdOf(advertisedUrl(secret));
        String otherName = Api.key("web-app-unchanged");
        UUID otherId = tokenIdOf(advertisedUrl(newClientToken(otherName)));

        OpenStream stream = open(unboundUrl(tokenId), null);
        OpenStream other = open(unboundUrl(otherId), null);
        try {
            for (OpenStream open : new OpenStream[] {stream, other}) {
                awaitLine(open.lines(), l -> l.startsWith(":") && l.contains("connected"), Duration.ofSeconds(10));
            }

            // Revoked and made active again under a new secret by another instance between two reloads of this one:
            // the table this instance reads next holds the same id, active, with a new secret set later.
            revokeAndReinstate(name, TokenService.hash("reinstated-" + secret));
            VertxContextSupport.subscribeAndAwait(tokens::reload);
            assertThat(stream.ended().get(10, TimeUnit.SECONDS)).isEqualTo("ended");

            String key = Api.key("after-reinstated-unbound");
            Api.create(Map.of("key", key, "enabled", true, "rolloutPercentage", 100));
            awaitLine(other.lines(), l -> l.startsWith("data:"), Duration.ofSeconds(10));
            assertThat(other.ended()).as("another token's stream").isNotDone();
        } finally {
            stream.close();
            other.close();
        }
    }

    /**
     * A stream URL of {@code tokenId} as the release before the binding issued it now: {@code v1}, expiring a TTL after
     * the start of the current half-TTL window.
     */
    private URI unboundUrl(UUID tokenId) {
        long half = streamTokenTtl.toSeconds() / 2;
        long expiry = (Instant.now().getEpochSecond() / half + 2) * half;
        return URI.create(events + "?token="
                + StreamTokenFixtures.signUnbound(streamTokenSecret, "ofrep-events|" + tokenId + "|" + expiry));
    }

    /** Revokes the token and makes it active again under another hash, one transaction, as another instance would. */
    private static void revokeAndReinstate(String name, String hash) throws Exception {
        try (var db = DriverManager.getConnection(FlagServiceInfra.jdbcUrl(), "postgres", "")) {
            db.setAutoCommit(false);
            try (var revoke = db.prepareStatement("UPDATE api_tokens SET revoked_at = now() WHERE name = ?");
                    var reinstate = db.prepareStatement("UPDATE api_tokens SET revoked_at = NULL, token_hash = ?,"
                            + " secret_set_at = clock_timestamp() WHERE name = ?")) {
                revoke.setString(1, name);
                assertThat(revoke.executeUpdate()).isEqualTo(1);
                reinstate.setString(1, hash);
                reinstate.setString(2, name);
                assertThat(reinstate.executeUpdate()).isEqualTo(1);
            }
            db.commit();
        }
    }

    /** The id of the API token a stream URL was issued to (the second field of its payload). */
    private static UUID tokenIdOf(String url) {
        String token = url.substring(url.indexOf("?token=") + "?token=".length());
        return UUID.fromString(new String(Base64.getUrlDecoder().decode(token.split("\\.")[1])).split("\\|")[1]);
    }

    private static void forgetSecretSetAt(String name) throws Exception {
        try (var db = DriverManager.getConnection(FlagServiceInfra.jdbcUrl(), "postgres", "");
                var update = db.prepareStatement("UPDATE api_tokens SET secret_set_at = NULL WHERE name = ?")) {
            update.setString(1, name);
            assertThat(update.executeUpdate()).isEqualTo(1);
        }
    }

    private static void setTokenHash(String name, String hash) throws Exception {
        try (var db = DriverManager.getConnection(FlagServiceInfra.jdbcUrl(), "postgres", "");
                var update = db.prepareStatement("UPDATE api_tokens SET token_hash = ? WHERE name = ?")) {
            update.setString(1, hash);
            update.setString(2, name);
            assertThat(update.executeUpdate()).isEqualTo(1);
        }
    }

    private static void setClientTokenHash(String hash) throws Exception {
        try (var db = DriverManager.getConnection(FlagServiceInfra.jdbcUrl(), "postgres", "");
                var update = db.prepareStatement("UPDATE api_tokens SET token_hash = ? WHERE name = ?")) {
            update.setString(1, hash);
            update.setString(2, TokenService.BOOTSTRAP_CLIENT);
            assertThat(update.executeUpdate()).isEqualTo(1);
        }
    }

    @Test
    void aStreamOutlivesItsStreamTokensExpiryWhichRefusesOnlyReconnects() throws Exception {
        String url = advertisedUrl(Api.CLIENT);
        String token = url.substring(url.indexOf("?token=") + "?token=".length());
        String[] fields = new String(Base64.getUrlDecoder().decode(token.split("\\.")[1])).split("\\|");
        // The client token's own stream token, as the service signs it, expiring in a few seconds. Every URL of one
        // period expires at the same instant: ending their streams then would have every browser reconnect at once.
        Instant expiry = Instant.now().plusSeconds(3);
        String shortLived = StreamTokenFixtures.sign(
                streamTokenSecret, fields[0] + "|" + fields[1] + "|" + expiry.getEpochSecond() + "|" + fields[3]);
        URI shortUrl = URI.create(events + "?token=" + shortLived);

        OpenStream stream = open(shortUrl, null);
        try {
            awaitLine(stream.lines(), l -> l.startsWith(":") && l.contains("connected"), Duration.ofSeconds(10));
            await().atMost(Duration.ofSeconds(15)).until(() -> Instant.now().isAfter(expiry.plusSeconds(1)));
            assertThat(status(shortUrl, null))
                    .as("a reconnect after the expiry")
                    .isEqualTo(401);

            String key = Api.key("after-expiry");
            Api.create(Map.of("key", key, "enabled", true, "rolloutPercentage", 100));
            awaitLine(stream.lines(), l -> l.startsWith("data:"), Duration.ofSeconds(10));
            assertThat(stream.ended()).as("the stream opened before the expiry").isNotDone();
        } finally {
            stream.close();
        }
    }

    /** A stream being read: its lines, and a future completed with "ended" when the server closes it. */
    private record OpenStream(
            BlockingQueue<String> lines,
            CompletableFuture<String> ended,
            CompletableFuture<HttpResponse<Stream<String>>> response) {
        void close() {
            response.cancel(true);
            if (response.isDone() && !response.isCompletedExceptionally()) {
                response.join().body().close();
            }
        }
    }

    /** Opens the stream at {@code uri}, with {@code token} as a Bearer token unless it is null, and reads it. */
    private OpenStream open(URI uri, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).header("Accept", "text/event-stream");
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        CompletableFuture<String> ended = new CompletableFuture<>();
        CompletableFuture<HttpResponse<Stream<String>>> response =
                http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofLines());
        assertThat(response.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        Thread reader = new Thread(
                () -> {
                    try {
                        response.join().body().forEach(lines::add);
                        ended.complete("ended");
                    } catch (RuntimeException e) {
                        ended.complete("failed: " + e);
                    }
                },
                "sse-reader");
        reader.setDaemon(true);
        reader.start();
        return new OpenStream(lines, ended, response);
    }

    /** The status of a new connection to the stream at {@code uri}; it is closed at once. */
    private int status(URI uri, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).header("Accept", "text/event-stream");
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        HttpResponse<Stream<String>> response = http.send(request.build(), HttpResponse.BodyHandlers.ofLines());
        response.body().close();
        return response.statusCode();
    }

    private static String newClientToken(String name) {
        return Api.admin()
                .body(Map.of("name", name, "kind", "CLIENT"))
                .post("/api/tokens")
                .then()
                .statusCode(201)
                .extract()
                .path("token");
    }

    /** The change stream URL a bulk evaluation advertises to the holder of {@code token}. */
    private static String advertisedUrl(String token) {
        return Api.as(token)
                .body("{\"context\":{\"targetingKey\":\"u1\"}}")
                .post("/ofrep/v1/evaluate/flags")
                .then()
                .statusCode(200)
                .extract()
                .path("eventStreams[0].url");
    }

    private static String awaitLine(
            BlockingQueue<String> lines, java.util.function.Predicate<String> wanted, Duration timeout) {
        String[] found = new String[1];
        java.util.List<String> skipped = new java.util.ArrayList<>();
        await().atMost(timeout)
                .pollInterval(Duration.ofMillis(5))
                .conditionEvaluationListener(condition -> {
                    if (!condition.isSatisfied() && condition.getRemainingTimeInMS() <= 10) {
                        System.err.println("SSE lines seen: " + skipped);
                    }
                })
                .until(() -> {
                    for (String line; (line = lines.poll()) != null; ) {
                        if (wanted.test(line)) {
                            found[0] = line;
                            return true;
                        }
                        skipped.add(line);
                    }
                    return false;
                });
        return found[0];
    }
}
