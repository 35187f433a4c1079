package dev.rollguard.alert.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rollguard.alert.config.InstanceIdentity;
import dev.rollguard.alert.publisher.AlertPublisher;
import dev.rollguard.alert.repository.AlertRepository;
import dev.rollguard.alert.support.AlertTestResource;
import dev.rollguard.alert.support.Api;
import dev.rollguard.alert.support.Rules;
import dev.rollguard.alert.support.SseClient;
import dev.rollguard.alert.support.TestKafka;
import dev.rollguard.alert.support.Windows;
import dev.rollguard.schemas.Topics;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.event.AlertStatus;
import dev.rollguard.schemas.serde.AvroCodec;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import io.vertx.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Transaction;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * Whether each transition reached Kafka's {@code alerts} topic, as {@code GET /api/alerts} and the SSE stream show it,
 * and sending a dead-lettered one again. The outbox poll runs only when asked, as in {@link RelayFailedRoundTest}.
 */
@QuarkusTest
@QuarkusTestResource(AlertTestResource.class)
@TestProfile(RelayFailedRoundTest.HourlyPoll.class)
class AlertDeliveryTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final byte[] GARBLED = {(byte) 0xC3, 0x01, 0x7F, 0x00};

    private final AvroCodec<AlertEvent> codec = AvroCodec.of(AlertEvent.class);
    private final ObjectMapper json = new ObjectMapper();

    @Inject
    Pool pool;

    @Inject
    AlertPublisher publisher;

    @Inject
    InstanceIdentity identity;

    @Inject
    MeterRegistry meters;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @TestHTTPResource("/api/alerts/stream")
    URI stream;

    /**
     * A published, a dead-lettered and a pending transition each say so, in the history, the active view and the SSE
     * replay; the history selects them by {@code delivery}.
     */
    @Test
    void everyTransitionSaysWhetherItReachedTheAlertsTopic() throws Exception {
        Fired fired = fire("delivery-states-");
        AlertEvent dead = fired.copy("-dead");
        long deadSeq = insert(fired, dead, GARBLED);
        publisher.kick();
        await().atMost(WAIT).until(() -> deadLettered(deadSeq));
        AlertEvent pending = fired.copy("-pending");
        long pendingSeq = insert(fired, pending, codec.encode(pending));

        List<JsonNode> history = list(Map.of("view", "history", "ruleId", fired.rule()));
        assertThat(history)
                .extracting(node -> node.get("seq").asLong())
                .containsExactly(pendingSeq, deadSeq, fired.seq());
        assertPending(history.get(0).get("delivery"));
        assertDeadLettered(history.get(1).get("delivery"));
        assertPublished(history.get(2).get("delivery"));

        // Each is its alert's latest transition, and firing.
        List<JsonNode> active = list(Map.of("ruleId", fired.rule()));
        assertThat(active)
                .extracting(node -> node.get("seq").asLong())
                .containsExactly(pendingSeq, deadSeq, fired.seq());
        assertPending(active.get(0).get("delivery"));
        assertDeadLettered(active.get(1).get("delivery"));
        assertPublished(active.get(2).get("delivery"));

        try (SseClient client = new SseClient(stream, Api.READ_TOKEN, Long.toString(fired.seq() - 1))) {
            await().atMost(WAIT).until(() -> events(client, fired.rule()).size() == 3);
            List<JsonNode> replayed = events(client, fired.rule());
            assertThat(replayed)
                    .extracting(node -> node.get("seq").asLong())
                    .containsExactly(fired.seq(), deadSeq, pendingSeq);
            assertPublished(replayed.get(0).get("delivery"));
            assertDeadLettered(replayed.get(1).get("delivery"));
            assertPending(replayed.get(2).get("delivery"));
        }

        assertThat(seqs(Map.of("view", "history", "ruleId", fired.rule(), "delivery", "dead_lettered")))
                .containsExactly(deadSeq);
        assertThat(seqs(Map.of("view", "history", "ruleId", fired.rule(), "delivery", "DEAD_LETTERED")))
                .containsExactly(deadSeq);
        assertThat(seqs(Map.of("view", "HISTORY", "ruleId", fired.rule(), "delivery", "Pending")))
                .containsExactly(pendingSeq);
        assertThat(seqs(Map.of("view", "history", "ruleId", fired.rule(), "delivery", "published")))
                .containsExactly(fired.seq());
        settle(fired.rule());
    }

    @Test
    void anUnknownDeliveryOrOneOnTheActiveViewIsRefusedNamingTheField() {
        for (Map<String, String> query :
                List.of(Map.of("view", "history", "delivery", "lost"), Map.of("delivery", "pending"))) {
            Api.reader()
                    .queryParams(query)
                    .when()
                    .get("/api/alerts")
                    .then()
                    .statusCode(400)
                    .body("code", org.hamcrest.Matchers.equalTo("VALIDATION_FAILED"))
                    .body("violations[0].field", org.hamcrest.Matchers.equalTo("delivery"));
        }
    }

    /**
     * A transition the broker refused as over the topic's {@code max.message.bytes} is sent again on request: while
     * the limit stays low the poll dead-letters it again; once the limit is raised, it reaches the topic, once.
     */
    @Test
    void aDeadLetteredLatestTransitionIsSentAgainOnRequestOnceItsCauseIsGone() throws Exception {
        Fired fired = fire("delivery-redeliver-");
        AlertEvent large = fired.copy("-large");
        large.setAnnotations(Map.of("description", "x".repeat(300_000)));
        long seq = insert(fired, large, codec.encode(large));

        String limitBefore = alertsTopicLimit();
        setAlertsTopicLimit("100000");
        try {
            publisher.kick();
            await().atMost(WAIT).until(() -> deadLettered(seq));

            // Only the admin token may send it again.
            Api.reader().when().post("/api/alerts/" + seq + "/redeliver").then().statusCode(403);
            assertThat(deadLettered(seq)).isTrue();

            JsonNode answer = redeliver(seq, 202);
            assertThat(answer.get("seq").asLong()).isEqualTo(seq);
            assertThat(answer.get("alertId").asText()).isEqualTo(large.getAlertId());
            assertPending(answer.get("delivery"));
            assertPending(transition(seq).get("delivery"));

            // The cause is still there: the next poll dead-letters it again.
            publisher.kick();
            await().atMost(WAIT).until(() -> deadLettered(seq));
            assertThat(transition(seq).get("delivery").get("reason").asText())
                    .startsWith("refused by Kafka (RecordTooLargeException): ");
        } finally {
            setAlertsTopicLimit(limitBefore);
        }

        redeliver(seq, 202);
        publisher.kick();
        await().atMost(WAIT).until(() -> "PUBLISHED"
                .equals(transition(seq).get("delivery").get("state").asText()));
        assertPublished(transition(seq).get("delivery"));
        assertThat(alertIdsOnTopic()).containsOnlyOnce(large.getAlertId());

        assertError(redeliver(seq, 409), "NOT_DEAD_LETTERED");
    }

    /**
     * Refused: an unknown transition, a published one, and a dead-lettered one with a later transition of its alert,
     * which would reach the topic after its alert's newer state.
     */
    @Test
    void onlyADeadLetteredLatestTransitionIsSentAgain() {
        assertError(redeliver(Long.MAX_VALUE, 404), "ALERT_TRANSITION_NOT_FOUND");

        Fired fired = fire("delivery-refused-");
        assertError(redeliver(fired.seq(), 409), "NOT_DEAD_LETTERED");

        AlertEvent dead = fired.copy("-older");
        long deadSeq = insert(fired, dead, codec.encode(dead));
        pool.preparedQuery("UPDATE alerts SET dead_lettered_at = now(), dead_letter_reason = 'refused' WHERE seq = $1")
                .execute(Tuple.of(deadSeq))
                .await()
                .atMost(WAIT);
        AlertEvent later = fired.copy("-older");
        later.setAlertId(later.getAlertId() + "-next");
        later.setStatus(AlertStatus.RESOLVED);
        long laterSeq = insert(fired, later, codec.encode(later));
        assertError(redeliver(laterSeq, 409), "NOT_DEAD_LETTERED");

        JsonNode refused = redeliver(deadSeq, 409);
        assertError(refused, "NOT_LATEST_TRANSITION");
        assertThat(refused.get("message").asText()).contains(dead.getFingerprint());
        assertThat(deadLettered(deadSeq)).isTrue();
        settle(fired.rule());
    }

    /** Of two requests at once to send one transition again, one is taken and the other refused. */
    @Test
    void twoRequestsAtOnceSendATransitionAgainOnce() throws Exception {
        Fired fired = fire("delivery-twice-");
        List<Long> seqs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            seqs.add(deadLetteredCopy(fired, "-twice-" + i));
        }
        for (long seq : seqs) {
            CountDownLatch start = new CountDownLatch(1);
            List<CompletableFuture<Integer>> calls = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                calls.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        start.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return Api.admin()
                            .when()
                            .post("/api/alerts/" + seq + "/redeliver")
                            .statusCode();
                }));
            }
            start.countDown();
            List<Integer> statuses = new ArrayList<>();
            for (CompletableFuture<Integer> call : calls) {
                statuses.add(call.get(30, TimeUnit.SECONDS));
            }
            assertThat(statuses).containsExactlyInAnyOrder(202, 409);
            assertThat(deadLettered(seq)).isFalse();
        }
        settle(fired.rule());
    }

    /**
     * A request that comes while a commit of a new transition of the alert is under way waits for it and is refused,
     * instead of sending the older transition, which would reach the topic after the newer one.
     */
    @Test
    void aRequestRacingANewTransitionOfTheAlertIsRefused() throws Exception {
        Fired fired = fire("delivery-race-");
        AlertEvent dead = fired.copy("-race");
        long deadSeq = deadLetteredCopy(fired, dead);
        AlertEvent newer = fired.copy("-race");
        newer.setAlertId(newer.getAlertId() + "-next");
        newer.setStatus(AlertStatus.RESOLVED);

        // As the evaluator's commit does: the alert's lock, shared, then its new transition.
        SqlConnection committer = pool.getConnection().await().atMost(WAIT);
        Transaction tx = committer.begin().await().atMost(WAIT);
        CompletableFuture<Response> request;
        try {
            committer
                    .preparedQuery("SELECT pg_advisory_xact_lock_shared(hashtextextended($1, "
                            + AlertRepository.FINGERPRINT_LOCK_SEED + "))")
                    .execute(Tuple.of(dead.getFingerprint()))
                    .await()
                    .atMost(WAIT);
            insert(committer, fired, newer, codec.encode(newer));
            request = CompletableFuture.supplyAsync(
                    () -> Api.admin().when().post("/api/alerts/" + deadSeq + "/redeliver"));
            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5)).until(() -> !request.isDone());
            tx.commit().await().atMost(WAIT);
        } finally {
            committer.close().await().atMost(WAIT);
        }
        Response answer = request.get(30, TimeUnit.SECONDS);
        assertThat(answer.statusCode()).isEqualTo(409);
        assertThat(answer.jsonPath().getString("code")).isEqualTo("NOT_LATEST_TRANSITION");
        assertThat(deadLettered(deadSeq)).isTrue();
        settle(fired.rule());
    }

    /**
     * A request for a transition a poll round holds (in the outbox, being sent) is refused at once rather than waiting
     * for the round's sends while it holds the alert's lock, which every commit of the alert would wait behind.
     */
    @Test
    void aRequestForATransitionAPollRoundHoldsIsRefusedWithoutWaiting() throws Exception {
        Fired fired = fire("delivery-held-");
        AlertEvent pending = fired.copy("-held");
        long seq = insert(fired, pending, codec.encode(pending));

        // As a poll round does: the outbox row locked, its sends under way.
        SqlConnection round = pool.getConnection().await().atMost(WAIT);
        Transaction tx = round.begin().await().atMost(WAIT);
        Response answer;
        try {
            round.preparedQuery("SELECT seq FROM alerts WHERE seq = $1 FOR NO KEY UPDATE")
                    .execute(Tuple.of(seq))
                    .await()
                    .atMost(WAIT);
            CompletableFuture<Response> request =
                    CompletableFuture.supplyAsync(() -> Api.admin().when().post("/api/alerts/" + seq + "/redeliver"));
            // The round holds the row far longer than this; a request that waited for it would not be answered.
            answer = request.get(20, TimeUnit.SECONDS);
        } finally {
            tx.rollback().await().atMost(WAIT);
            round.close().await().atMost(WAIT);
        }
        assertThat(answer.statusCode()).isEqualTo(409);
        assertThat(answer.jsonPath().getString("code")).isEqualTo("NOT_DEAD_LETTERED");
        assertThat(deadLettered(seq)).isFalse();
        settle(fired.rule());
    }

    /**
     * The instance that stored a dead-lettered transition does not send its alert's next transition right after the
     * commit while the redelivered one is still in the outbox: the poll sends both, in stored order.
     */
    @Test
    void theAlertsNextTransitionWaitsForItsRedeliveredOne() {
        Fired fired = fire("delivery-order-");
        AlertEvent again = codec.decode(fired.avro());
        again.setAlertId(again.getAlertId() + "-again");
        long againSeq = insert(fired, again, codec.encode(again), identity.id());
        pool.preparedQuery("UPDATE alerts SET dead_lettered_at = now(), dead_letter_reason = 'refused' WHERE seq = $1")
                .execute(Tuple.of(againSeq))
                .await()
                .atMost(WAIT);
        redeliver(againSeq, 202);

        double afterCommitBefore = afterCommitSends();
        TestKafka.sendWindows(Windows.table(fired.table(), ORIGIN, 1, 10), Windows.table(fired.table(), ORIGIN, 2, 10));
        await().atMost(WAIT).until(() -> stored(fired.rule()) == 3);
        publisher.kick();
        await().atMost(WAIT).until(() -> unsettled(fired.rule()) == 0);

        String resolved = resolvedId(fired.rule());
        List<String> onTopic = alertIdsOnTopic();
        assertThat(onTopic).containsOnlyOnce(again.getAlertId(), resolved);
        assertThat(onTopic.indexOf(again.getAlertId())).isLessThan(onTopic.indexOf(resolved));
        assertThat(afterCommitSends()).isEqualTo(afterCommitBefore);
    }

    /**
     * A commit of the alert's next transition while a redelivery is under way waits for it, and then leaves the new
     * transition to the poll, which sends the redelivered one first.
     */
    @Test
    void aCommitOfTheAlertsNextTransitionDuringARedeliveryWaitsForIt() {
        Fired fired = fire("delivery-commit-race-");
        AlertEvent again = codec.decode(fired.avro());
        again.setAlertId(again.getAlertId() + "-again");
        long againSeq = insert(fired, again, codec.encode(again), identity.id());
        pool.preparedQuery("UPDATE alerts SET dead_lettered_at = now(), dead_letter_reason = 'refused' WHERE seq = $1")
                .execute(Tuple.of(againSeq))
                .await()
                .atMost(WAIT);
        double afterCommitBefore = afterCommitSends();

        // As a redelivery does: the alert's lock, then the transition back in the outbox, stored by no instance.
        SqlConnection redelivery = pool.getConnection().await().atMost(WAIT);
        Transaction tx = redelivery.begin().await().atMost(WAIT);
        try {
            redelivery
                    .preparedQuery("SELECT pg_advisory_xact_lock(hashtextextended($1, "
                            + AlertRepository.FINGERPRINT_LOCK_SEED + "))")
                    .execute(Tuple.of(again.getFingerprint()))
                    .await()
                    .atMost(WAIT);
            redelivery
                    .preparedQuery("UPDATE alerts SET dead_lettered_at = NULL, dead_letter_reason = NULL,"
                            + " stored_by = NULL WHERE seq = $1")
                    .execute(Tuple.of(againSeq))
                    .await()
                    .atMost(WAIT);
            TestKafka.sendWindows(
                    Windows.table(fired.table(), ORIGIN, 1, 10), Windows.table(fired.table(), ORIGIN, 2, 10));
            // The evaluator's commit of the resolution waits for the lock.
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).until(() -> stored(fired.rule()) == 2);
            tx.commit().await().atMost(WAIT);
        } finally {
            redelivery.close().await().atMost(WAIT);
        }
        await().atMost(WAIT).until(() -> stored(fired.rule()) == 3);
        publisher.kick();
        await().atMost(WAIT).until(() -> unsettled(fired.rule()) == 0);

        List<String> onTopic = alertIdsOnTopic();
        String resolved = resolvedId(fired.rule());
        assertThat(onTopic).containsOnlyOnce(again.getAlertId(), resolved);
        assertThat(onTopic.indexOf(again.getAlertId())).isLessThan(onTopic.indexOf(resolved));
        assertThat(afterCommitSends()).isEqualTo(afterCommitBefore);
    }

    private double afterCommitSends() {
        return meters.get("rollguard.alert.relay.published")
                .tag("path", "after-commit")
                .counter()
                .count();
    }

    private String resolvedId(String rule) {
        return pool.preparedQuery("SELECT alert_id FROM alerts WHERE rule_id = $1 AND status = 'RESOLVED'")
                .execute(Tuple.of(rule))
                .await()
                .atMost(WAIT)
                .iterator()
                .next()
                .getString(0);
    }

    private static final Instant ORIGIN = Instant.parse("2026-05-07T10:00:00Z");

    /** A rule's alert, fired and published. */
    private record Fired(String rule, String table, long seq, String json, byte[] avro) {

        /** The fired transition as one of another alert, its id and fingerprint ending in {@code suffix}. */
        AlertEvent copy(String suffix) {
            AlertEvent event = AvroCodec.of(AlertEvent.class).decode(avro);
            event.setAlertId(event.getAlertId() + suffix);
            event.setFingerprint(event.getFingerprint() + suffix);
            return event;
        }
    }

    private Fired fire(String rulePrefix) {
        String table = "t" + UUID.randomUUID().toString().substring(0, 8);
        String rule = rulePrefix + table;
        Rules.slowTable(rule, table, 0, 0);
        TestKafka.sendWindows(Windows.table(table, ORIGIN, 0, 5000));
        await().atMost(WAIT).until(() -> stored(rule) == 1 && unsettled(rule) == 0);
        Row row = pool.preparedQuery("SELECT seq, payload_json, payload_avro FROM alerts WHERE rule_id = $1")
                .execute(Tuple.of(rule))
                .await()
                .atMost(WAIT)
                .iterator()
                .next();
        return new Fired(
                rule,
                table,
                row.getLong("seq"),
                row.getString("payload_json"),
                row.getBuffer("payload_avro").getBytes());
    }

    /**
     * Leaves nothing of the rule in the outbox (a redelivered undecodable row is dead-lettered again), so that the
     * rounds of the tests that come after, in this application, count only their own rows.
     */
    private void settle(String rule) {
        publisher.kick();
        await().atMost(WAIT).until(() -> unsettled(rule) == 0);
    }

    /** A copy of the fired transition, dead-lettered (its stored bytes cannot be decoded) by a poll. */
    private long deadLetteredCopy(Fired fired, String suffix) {
        return deadLetteredCopy(fired, fired.copy(suffix));
    }

    private long deadLetteredCopy(Fired fired, AlertEvent event) {
        long seq = insert(fired, event, GARBLED);
        publisher.kick();
        await().atMost(WAIT).until(() -> deadLettered(seq));
        return seq;
    }

    private long insert(Fired fired, AlertEvent event, byte[] avro) {
        return insert(fired, event, avro, null);
    }

    /** A transition as stored by {@code storedBy} (null: received from outside), its JSON the fired one's. */
    private long insert(Fired fired, AlertEvent event, byte[] avro, String storedBy) {
        SqlConnection connection = pool.getConnection().await().atMost(WAIT);
        try {
            return insert(connection, fired, event, avro, storedBy);
        } finally {
            connection.close().await().atMost(WAIT);
        }
    }

    private long insert(SqlConnection connection, Fired fired, AlertEvent event, byte[] avro) {
        return insert(connection, fired, event, avro, null);
    }

    private long insert(SqlConnection connection, Fired fired, AlertEvent event, byte[] avro, String storedBy) {
        // The JSON view as the evaluator writes it: the fired one's, with this transition's id and fingerprint.
        String view = fired.json()
                .replace(codec.decode(fired.avro()).getAlertId(), event.getAlertId())
                .replace(codec.decode(fired.avro()).getFingerprint(), event.getFingerprint())
                .replace("\"status\":\"FIRING\"", "\"status\":\"" + event.getStatus() + "\"");
        return connection
                .preparedQuery("INSERT INTO alerts (alert_id, fingerprint, status, severity, rule_id, scope_key,"
                        + " starts_at, emitted_at, payload_json, payload_avro, stored_by) VALUES ($1, $2, $3, $4, $5,"
                        + " $6, $7, $8, $9, $10, $11) RETURNING seq")
                .execute(Tuple.from(Arrays.asList(
                        event.getAlertId(),
                        event.getFingerprint(),
                        event.getStatus().name(),
                        event.getSeverity().name(),
                        fired.rule(),
                        event.getScopeKey(),
                        event.getStartsAt().atOffset(ZoneOffset.UTC),
                        Instant.now().atOffset(ZoneOffset.UTC),
                        view,
                        Buffer.buffer(avro),
                        storedBy)))
                .await()
                .atMost(WAIT)
                .iterator()
                .next()
                .getLong(0);
    }

    private JsonNode redeliver(long seq, int status) {
        String body = Api.admin()
                .header("X-Rollguard-Actor", "on-call")
                .when()
                .post("/api/alerts/" + seq + "/redeliver")
                .then()
                .statusCode(status)
                .extract()
                .asString();
        try {
            return json.readTree(body);
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + body, e);
        }
    }

    private static void assertError(JsonNode error, String code) {
        assertThat(error.get("code").asText()).isEqualTo(code);
        assertThat(error.get("message").asText()).isNotBlank();
    }

    private static void assertPublished(JsonNode delivery) {
        assertThat(delivery.get("state").asText()).isEqualTo("PUBLISHED");
        assertThat(Instant.parse(delivery.get("at").asText())).isBefore(Instant.now());
        assertThat(delivery.has("reason")).isFalse();
    }

    private static void assertDeadLettered(JsonNode delivery) {
        assertThat(delivery.get("state").asText()).isEqualTo("DEAD_LETTERED");
        assertThat(Instant.parse(delivery.get("at").asText())).isBefore(Instant.now());
        assertThat(delivery.get("reason").asText()).startsWith("cannot be decoded: ");
    }

    private static void assertPending(JsonNode delivery) {
        assertThat(delivery.get("state").asText()).isEqualTo("PENDING");
        assertThat(delivery.has("at")).isFalse();
        assertThat(delivery.has("reason")).isFalse();
    }

    private List<JsonNode> list(Map<String, String> query) throws Exception {
        String body = Api.reader()
                .queryParams(query)
                .when()
                .get("/api/alerts")
                .then()
                .statusCode(200)
                .extract()
                .asString();
        List<JsonNode> nodes = new ArrayList<>();
        json.readTree(body).forEach(nodes::add);
        return nodes;
    }

    private List<Long> seqs(Map<String, String> query) throws Exception {
        return list(query).stream().map(node -> node.get("seq").asLong()).toList();
    }

    /** The transition as the history shows it. */
    private JsonNode transition(long seq) throws Exception {
        return list(Map.of("view", "history", "before", Long.toString(seq + 1), "limit", "1"))
                .get(0);
    }

    private List<JsonNode> events(SseClient client, String rule) throws Exception {
        List<JsonNode> nodes = new ArrayList<>();
        for (SseClient.Event event : client.events()) {
            if (event.data().contains("\"ruleId\":\"" + rule + "\"")) {
                nodes.add(json.readTree(event.data()));
            }
        }
        return nodes;
    }

    private List<String> alertIdsOnTopic() {
        return TestKafka.alerts().stream()
                .map(ConsumerRecord::value)
                .map(AlertEvent::getAlertId)
                .toList();
    }

    private boolean deadLettered(long seq) {
        return pool.preparedQuery("SELECT dead_lettered_at IS NOT NULL FROM alerts WHERE seq = $1")
                .execute(Tuple.of(seq))
                .await()
                .atMost(WAIT)
                .iterator()
                .next()
                .getBoolean(0);
    }

    private long stored(String rule) {
        return count("SELECT count(*) FROM alerts WHERE rule_id = $1", rule);
    }

    private long unsettled(String rule) {
        return count(
                "SELECT count(*) FROM alerts WHERE rule_id = $1 AND published_at IS NULL AND dead_lettered_at IS NULL",
                rule);
    }

    private long count(String sql, String rule) {
        return pool.preparedQuery(sql)
                .execute(Tuple.of(rule))
                .await()
                .atMost(WAIT)
                .iterator()
                .next()
                .getLong(0);
    }

    private String alertsTopicLimit() throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, Topics.ALERTS);
            return admin.describeConfigs(List.of(topic))
                    .all()
                    .get(30, TimeUnit.SECONDS)
                    .get(topic)
                    .get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG)
                    .value();
        }
    }

    private void setAlertsTopicLimit(String bytes) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, Topics.ALERTS);
            admin.incrementalAlterConfigs(Map.of(
                            topic,
                            List.of(new AlterConfigOp(
                                    new ConfigEntry(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, bytes),
                                    AlterConfigOp.OpType.SET))))
                    .all()
                    .get(30, TimeUnit.SECONDS);
        }
        await().atMost(WAIT).until(() -> bytes.equals(alertsTopicLimit()));
    }
}
