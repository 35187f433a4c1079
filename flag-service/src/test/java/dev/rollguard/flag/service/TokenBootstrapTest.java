package dev.rollguard.flag.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.flag.FlagServiceInfra;
import dev.rollguard.flag.domain.TokenKind;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.vertx.VertxContextSupport;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Replicas of a first install store the same bootstrap tokens at the same moment, and every one of them starts. */
@QuarkusTest
@QuarkusTestResource(FlagServiceInfra.class)
class TokenBootstrapTest {

    private static final int REPLICAS = 4;

    @Inject
    TokenService tokens;

    private static <T> T await(java.util.function.Supplier<io.smallrye.mutiny.Uni<T>> uni) throws Exception {
        try {
            return VertxContextSupport.subscribeAndAwait(uni);
        } catch (Exception | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @Test
    void concurrentBootstrapsOfAnEmptyDatabaseAllSucceed() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(REPLICAS);
        try {
            for (int round = 0; round < 10; round++) {
                String suffix = UUID.randomUUID().toString().substring(0, 8);
                List<TokenService.BootstrapToken> wanted = List.of(
                        new TokenService.BootstrapToken(
                                "race-admin-" + suffix, TokenKind.ADMIN, Optional.of("race-admin-secret-" + suffix)),
                        new TokenService.BootstrapToken(
                                "race-client-" + suffix,
                                TokenKind.CLIENT,
                                Optional.of("race-client-secret-" + suffix)));
                CountDownLatch start = new CountDownLatch(1);
                List<Future<?>> starts = new ArrayList<>();
                for (int i = 0; i < REPLICAS; i++) {
                    starts.add(pool.submit(() -> {
                        start.await();
                        return await(() -> tokens.storeBootstrap(wanted));
                    }));
                }
                start.countDown();
                for (Future<?> replica : starts) {
                    replica.get(30, TimeUnit.SECONDS); // throws when a replica failed
                }
                await(tokens::reload);
                assertThat(tokens.authenticate("race-admin-secret-" + suffix)).isPresent();
                assertThat(tokens.authenticate("race-client-secret-" + suffix)).isPresent();
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
