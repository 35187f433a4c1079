package dev.rollguard.example;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollguard.cli.RollguardApi;
import dev.rollguard.infra.ServiceStack;
import dev.rollguard.infra.SharedInfra;
import dev.rollguard.infra.TopicContents;
import dev.rollguard.schemas.Topics;
import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.FlagExposure;
import dev.rollguard.schemas.event.Platform;
import dev.rollguard.schemas.event.SyncEvent;
import dev.rollguard.schemas.serde.AvroCodec;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The example service against the real flag-service and metrics-ingest (packaged, as processes, on the real broker
 * and PostgreSQL): many users sync through it while its flag is at a 40 % rollout; each user is served the variant
 * the flag-service assigns, each sync reaches metrics-ingest with that variant as its exposure and is counted in
 * that cohort; after a kill the service serves the off variant on the next request.
 */
class ExampleServiceIT {

    private static final String RUN = UUID.randomUUID().toString().substring(0, 8);
    private static final String FLAG = "backend.new-sync-" + RUN;
    private static final int USERS = 60;
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final HttpClient HTTP =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private static ServiceStack stack;
    private static RollguardApi api;
    private static ExampleService service;

    @BeforeAll
    static void start() throws IOException {
        stack = ServiceStack.start(
                List.of("flag-service", "metrics-ingest"),
                Map.of(
                        "metrics-ingest",
                        List.of(
                                "metrics-ingest.windows.size=2s",
                                "metrics-ingest.windows.grace=1s",
                                "metrics-ingest.windows.idle-timeout=3s",
                                "kafka-streams.state.dir=" + SharedInfra.freshDirectory("example-it-streams"))));
        api = new RollguardApi(new RollguardApi.Endpoints(
                stack.url("flag-service"),
                stack.url("metrics-ingest"),
                null,
                null,
                ServiceStack.ADMIN_TOKEN,
                ServiceStack.CLIENT_TOKEN,
                ServiceStack.PRODUCER_TOKEN));
        ObjectNode flag = RollguardApi.JSON
                .createObjectNode()
                .put("key", FLAG)
                .put("description", "The incremental sync of the notes backend")
                .put("owner", "backend-team")
                .put("enabled", true)
                .put("rolloutPercentage", 40);
        flag.putArray("stages");
        api.createFlag(flag).orThrow("create " + FLAG);
        service = ExampleService.start(new ExampleService.Settings(
                stack.url("flag-service"),
                ServiceStack.CLIENT_TOKEN,
                stack.url("metrics-ingest"),
                ServiceStack.PRODUCER_TOKEN,
                FLAG,
                0));
    }

    @AfterAll
    static void stop() {
        if (service != null) {
            service.close();
        }
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void eachUsersSyncsAreCountedInTheCohortItWasServedAndAKillIsServedAtOnce() throws Exception {
        // Users sync one to three times each; the service answers what it served.
        Map<String, String> variantOf = new LinkedHashMap<>();
        Map<String, Integer> syncsOf = new LinkedHashMap<>();
        for (int i = 0; i < USERS; i++) {
            String user = "notes-user-" + RUN + "-" + i;
            for (int n = 0; n < 1 + i % 3; n++) {
                JsonNode answer = sync(user);
                assertThat(answer.path("value").asBoolean())
                        .isEqualTo(answer.path("variant").asText().equals("on"));
                variantOf.put(user, answer.path("variant").asText());
                syncsOf.merge(user, 1, Integer::sum);
            }
        }
        // What the service served is the flag-service's assignment of each user.
        for (Map.Entry<String, String> served : variantOf.entrySet()) {
            assertThat(api.evaluate(FLAG, served.getKey())
                            .orThrow("evaluate")
                            .body()
                            .path("variant")
                            .asText())
                    .as("variant of %s", served.getKey())
                    .isEqualTo(served.getValue());
        }
        Map<Cohort, Long> expected = new EnumMap<>(Cohort.class);
        syncsOf.forEach((user, syncs) -> expected.merge(
                variantOf.get(user).equals("on") ? Cohort.TREATMENT : Cohort.CONTROL, (long) syncs, Long::sum));
        long total = syncsOf.values().stream().mapToLong(Integer::longValue).sum();
        assertThat(expected.get(Cohort.TREATMENT)).as("treated syncs").isPositive();
        assertThat(expected.get(Cohort.CONTROL)).as("control syncs").isPositive();

        // Every sync went out once, with the variant its user was served, as a backend's event.
        Map<String, List<SyncEvent>> events = syncEventsOf(variantOf.keySet(), total);
        assertThat(events.keySet()).containsExactlyInAnyOrderElementsOf(variantOf.keySet());
        events.forEach((user, userEvents) -> {
            assertThat(userEvents).as("syncs of %s", user).hasSize(syncsOf.get(user));
            assertThat(userEvents).allSatisfy(e -> {
                assertThat(e.getPlatform()).isEqualTo(Platform.BACKEND);
                assertThat(e.getExposures())
                        .extracting(FlagExposure::getFlagKey)
                        .containsExactly(FLAG);
                assertThat(e.getExposures().get(0).getVariant()).isEqualTo(variantOf.get(user));
                assertThat(e.getExposures().get(0).getFlagVersion()).isNotNull();
            });
        });

        // metrics-ingest counts them in those cohorts, treated and control alike.
        await().atMost(WAIT).untilAsserted(() -> assertThat(TopicContents.eventsPerCohort(FLAG))
                .as("syncs counted per cohort in the flag's closed windows")
                .isEqualTo(expected));

        // A kill is served on the service's next request.
        String treated = variantOf.entrySet().stream()
                .filter(e -> e.getValue().equals("on"))
                .findFirst()
                .orElseThrow()
                .getKey();
        api.kill(FLAG, "example service test " + RUN).orThrow("kill");
        JsonNode killed = sync(treated);
        assertThat(killed.path("value").asBoolean()).isFalse();
        assertThat(killed.path("variant").asText()).isEqualTo("off");
        assertThat(killed.path("reason").asText()).isEqualTo("DISABLED");
    }

    @Test
    void aRequestWithoutAUserIsAnsweredWithTheErrorContract() throws Exception {
        HttpResponse<String> response = HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.port() + "/sync"))
                        .POST(HttpRequest.BodyPublishers.noBody())
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(400);
        JsonNode body = RollguardApi.JSON.readTree(response.body());
        assertThat(body.path("code").asText()).isEqualTo("USER_MISSING");
        assertThat(body.path("message").asText()).isNotBlank();
    }

    private static JsonNode sync(String user) throws IOException, InterruptedException {
        HttpResponse<String> response = HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.port() + "/sync?user=" + user))
                        .POST(HttpRequest.BodyPublishers.noBody())
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return RollguardApi.JSON.readTree(response.body());
    }

    /** The sync events of these users, as metrics-ingest put them on telemetry.sync, once {@code total} are in. */
    private static Map<String, List<SyncEvent>> syncEventsOf(java.util.Set<String> users, long total) {
        AvroCodec<SyncEvent> codec = AvroCodec.of(SyncEvent.class);
        Map<String, List<SyncEvent>> byUser = new HashMap<>();
        await().atMost(WAIT).until(() -> {
            byUser.clear();
            for (ConsumerRecord<String, byte[]> r : TopicContents.readAll(Topics.TELEMETRY_SYNC)) {
                SyncEvent event = codec.decode(r.value());
                if (users.contains(event.getUserId())) {
                    byUser.computeIfAbsent(event.getUserId(), u -> new ArrayList<>())
                            .add(event);
                }
            }
            return byUser.values().stream().mapToInt(List::size).sum() >= total;
        });
        return byUser;
    }
}
