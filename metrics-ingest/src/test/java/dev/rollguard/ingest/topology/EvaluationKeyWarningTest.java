package dev.rollguard.ingest.topology;

import static dev.rollguard.ingest.TelemetryFixtures.sync;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.matchesRegex;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;

import dev.rollguard.infra.InfraTestResource;
import dev.rollguard.ingest.EventClock;
import dev.rollguard.ingest.KafkaTestClient;
import dev.rollguard.ingest.TelemetryFixtures;
import dev.rollguard.ingest.service.EvaluatedKeyDigests;
import dev.rollguard.ingest.service.EvaluationKeyWatch;
import dev.rollguard.ingest.service.FlagDirectory;
import dev.rollguard.schemas.Topics;
import dev.rollguard.schemas.event.EvaluatedKeysEvent;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.event.SyncEvent;
import dev.rollguard.schemas.keys.KeyDigest;
import dev.rollguard.schemas.serde.AvroCodec;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

/**
 * On the real broker: the flag-service's digests of evaluated targeting keys on evaluated.keys, telemetry without
 * exposures on telemetry.sync. An app that evaluates with emails but reports user ids is warned about for its flag;
 * an app that evaluates with the user id is not.
 */
@QuarkusTest
@QuarkusTestResource(
        value = InfraTestResource.class,
        initArgs = @ResourceArg(name = InfraTestResource.KAFKA_STREAMS, value = "true"))
class EvaluationKeyWarningTest {

    private static final int USERS = 40;

    @Inject
    FlagDirectory flags;

    @Test
    void eventsBucketedByAKeyTheFlagServiceNeverEvaluatedRaiseTheWarningForTheirFlagOnly() {
        String emails = "key-emails-" + UUID.randomUUID();
        String userIds = "key-user-ids-" + UUID.randomUUID();
        Instant start = EventClock.start();
        for (String flag : new String[] {emails, userIds}) {
            KafkaTestClient.send(
                    Topics.FLAGS_CHANGES,
                    flag,
                    AvroCodec.of(FlagChangedEvent.class)
                            .encode(TelemetryFixtures.flag(flag, 1, start.minusSeconds(1), 5_000)
                                    .build()));
        }
        // What two flag-service instances evaluated: one app asks for `emails` with e-mail addresses, the other for
        // `userIds` with the user ids it also reports.
        publish(emails, "instance-a", i -> "user-" + i + "@example.com");
        publish(userIds, "instance-a", i -> i % 2 == 0 ? "user-" + i : "someone-else-" + i);
        publish(userIds, "instance-b", i -> i % 2 == 1 ? "user-" + i : "someone-else-" + i);
        await().atMost(Duration.ofSeconds(60))
                .until(() -> flags.latest(emails) != null && flags.latest(userIds) != null);
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            EvaluatedKeyDigests digests = EvaluationKeyWatch.installed().digests();
            long now = System.currentTimeMillis();
            return digests.lookup(userIds, KeyDigest.hash("user-1"), now) == EvaluatedKeyDigests.Lookup.EVALUATED
                    && digests.lookup(emails, KeyDigest.hash("user-1@example.com"), now)
                            == EvaluatedKeyDigests.Lookup.EVALUATED;
        });

        for (int i = 0; i < USERS; i++) {
            SyncEvent event =
                    sync("client-" + i, start, true, 10).setUserId("user-" + i).build();
            KafkaTestClient.send(
                    Topics.TELEMETRY_SYNC,
                    event.getClientId(),
                    AvroCodec.of(SyncEvent.class).encode(event));
        }

        String check = "checks.find { it.name == 'Telemetry evaluation keys' }";
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> given().when()
                .get("/q/health/ready")
                .then()
                .statusCode(200)
                .body(check + ".status", equalTo("UP"))
                .body(
                        check + ".data.'" + emails + "'",
                        startsWith(USERS + " of " + USERS + " events without exposures")));
        given().when().get("/q/health/ready").then().body(check + ".data.'" + userIds + "'", nullValue());
        given().accept("text/plain")
                .when()
                .get("/q/metrics")
                .then()
                .statusCode(200)
                .body(matchesRegex("(?s).*rollguard_ingest_evaluation_key_unseen_total\\{flag=\"" + emails + "\",?} "
                        + USERS + "\\.0\n.*"))
                .body(not(matchesRegex(
                        "(?s).*rollguard_ingest_evaluation_key_unseen_total\\{flag=\"" + userIds + "\".*")));
        assertThat(EvaluationKeyWatch.installed().warnings())
                .containsKey(emails)
                .doesNotContainKey(userIds);
    }

    /** The slice of one flag-service instance holding the keys {@code key(0..USERS-1)}. */
    private static void publish(String flag, String instance, IntFunction<String> key) {
        KeyDigest digest = KeyDigest.sized(10_000, 0.01);
        for (int i = 0; i < USERS; i++) {
            digest.add(key.apply(i));
        }
        long now = System.currentTimeMillis();
        long slice = Duration.ofMinutes(10).toMillis();
        long sliceStart = now - now % slice;
        EvaluatedKeysEvent event = EvaluatedKeysEvent.newBuilder()
                .setFlagKey(flag)
                .setInstanceId(instance)
                .setSliceStart(Instant.ofEpochMilli(sliceStart))
                .setSliceEnd(Instant.ofEpochMilli(sliceStart + slice))
                .setFirstKeyAt(Instant.ofEpochMilli(now))
                .setUpdatedAt(Instant.ofEpochMilli(now))
                .setHashFunctions(digest.hashFunctions())
                .setBits(ByteBuffer.wrap(digest.toBytes()))
                .setKeys(digest.keys())
                .setCapacity(10_000)
                .setFalsePositiveRate(0.01)
                .build();
        KafkaTestClient.send(
                Topics.EVALUATED_KEYS,
                flag + "|" + instance + "|" + sliceStart,
                AvroCodec.of(EvaluatedKeysEvent.class).encode(event));
    }
}
