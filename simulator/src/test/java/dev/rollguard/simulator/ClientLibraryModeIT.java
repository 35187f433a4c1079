package dev.rollguard.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollguard.cli.RollguardApi;
import dev.rollguard.infra.ServiceStack;
import dev.rollguard.infra.SharedInfra;
import dev.rollguard.infra.TopicContents;
import dev.rollguard.schemas.Topics;
import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.FlagExposure;
import dev.rollguard.schemas.event.SyncEvent;
import dev.rollguard.schemas.event.UploadEvent;
import dev.rollguard.schemas.serde.AvroCodec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code simulate --client-library} against the real flag-service and metrics-ingest (packaged, as processes, on the
 * real broker and PostgreSQL), over each transport of the Rollguard Java client: the virtual clients evaluate a 50 %
 * rollout through the OpenFeature SDK, their events arrive with the variant the flag-service serves each user,
 * attached by the exposure hook and the telemetry client, and metrics-ingest counts each distinct event once in that
 * cohort (the duplicates the clients send under the same id are not counted twice).
 */
class ClientLibraryModeIT {

    private static final String RUN = UUID.randomUUID().toString().substring(0, 8);
    private static final int CLIENTS = 40;
    private static final Duration WAIT = Duration.ofSeconds(90);

    private static ServiceStack stack;
    private static RollguardApi api;

    @BeforeAll
    static void start() {
        stack = ServiceStack.start(
                List.of("flag-service", "metrics-ingest"),
                Map.of(
                        "metrics-ingest",
                        List.of(
                                "metrics-ingest.windows.size=2s",
                                "metrics-ingest.windows.grace=1s",
                                "metrics-ingest.windows.idle-timeout=3s",
                                "kafka-streams.state.dir=" + SharedInfra.freshDirectory("simulator-it-streams"))));
        api = new RollguardApi(new RollguardApi.Endpoints(
                stack.url("flag-service"),
                stack.url("metrics-ingest"),
                null,
                null,
                ServiceStack.ADMIN_TOKEN,
                ServiceStack.CLIENT_TOKEN,
                ServiceStack.PRODUCER_TOKEN));
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void overHttpAndKafkaEventsArriveWithTheServedVariantAndAreCountedOnceInThatCohort() throws Exception {
        // Two simulators at once, one per transport, each on a flag of its own (an event counts only for the flags
        // its exposures name): the windows of both close in the same wait.
        String overHttp = flag("http");
        String overKafka = flag("kafka");
        ExecutorService simulators = Executors.newFixedThreadPool(2);
        try {
            Future<Integer> http = simulators.submit(() -> simulate(
                    overHttp,
                    "--transport",
                    "http",
                    "--ingest",
                    stack.url("metrics-ingest"),
                    "--producer-token",
                    ServiceStack.PRODUCER_TOKEN));
            Future<Integer> kafka = simulators.submit(
                    () -> simulate(overKafka, "--transport", "kafka", "--bootstrap", SharedInfra.kafkaBootstrap()));
            assertThat(http.get(2, TimeUnit.MINUTES))
                    .as("exit code over HTTP (1: events not delivered)")
                    .isZero();
            assertThat(kafka.get(2, TimeUnit.MINUTES))
                    .as("exit code over Kafka (1: events not delivered)")
                    .isZero();
        } finally {
            simulators.shutdownNow();
        }
        assertCountedInServedCohorts(overHttp);
        assertCountedInServedCohorts(overKafka);
    }

    @Test
    void withoutAFlagTheModeIsRefused() {
        int exit = new CommandLine(new SimulatorMain())
                .execute(
                        "--client-library",
                        "--client-token",
                        ServiceStack.CLIENT_TOKEN,
                        "--flag-service",
                        stack.url("flag-service"));
        assertThat(exit).isEqualTo(2);
    }

    private static String flag(String transport) {
        String key = "sim.library-" + transport + "-" + RUN;
        ObjectNode flag = RollguardApi.JSON
                .createObjectNode()
                .put("key", key)
                .put("description", "The simulator's clients through the Java client, " + transport)
                .put("owner", "sim-team")
                .put("enabled", true)
                .put("rolloutPercentage", 50);
        flag.putArray("stages");
        api.createFlag(flag).orThrow("create " + key);
        return key;
    }

    private static int simulate(String flag, String... transport) {
        List<String> args = new ArrayList<>(List.of(
                "--client-library",
                "--flag",
                flag,
                "--flag-service",
                stack.url("flag-service"),
                "--client-token",
                ServiceStack.CLIENT_TOKEN,
                "--clients",
                String.valueOf(CLIENTS),
                "--rate",
                "100",
                "--duration",
                "2s",
                "--duplicate-share",
                "0.2"));
        args.addAll(List.of(transport));
        return new CommandLine(new SimulatorMain()).execute(args.toArray(String[]::new));
    }

    /**
     * Every event of the flag on the telemetry topics carries the variant the flag-service serves its user; some
     * arrived twice under one id; metrics-ingest counted each id once, in the cohort of that variant.
     */
    private static void assertCountedInServedCohorts(String flag) {
        Map<String, FlagExposure> exposureById = new HashMap<>();
        Map<String, String> userById = new HashMap<>();
        int deliveries = 0;
        for (String topic : List.of(Topics.TELEMETRY_SYNC, Topics.TELEMETRY_UPLOAD)) {
            for (ConsumerRecord<String, byte[]> r : TopicContents.readAll(topic)) {
                String id;
                String user;
                List<FlagExposure> exposures;
                if (topic.equals(Topics.TELEMETRY_SYNC)) {
                    SyncEvent e = AvroCodec.of(SyncEvent.class).decode(r.value());
                    id = e.getEventId();
                    user = e.getUserId();
                    exposures = e.getExposures();
                } else {
                    UploadEvent e = AvroCodec.of(UploadEvent.class).decode(r.value());
                    id = e.getEventId();
                    user = e.getUserId();
                    exposures = e.getExposures();
                }
                List<FlagExposure> ofFlag = exposures.stream()
                        .filter(x -> x.getFlagKey().equals(flag))
                        .toList();
                if (!ofFlag.isEmpty()) {
                    assertThat(exposures).as("exposures of %s", id).hasSize(1);
                    assertThat(ofFlag.get(0).getFlagVersion()).isNotNull();
                    exposureById.put(id, ofFlag.get(0));
                    userById.put(id, user);
                    deliveries++;
                }
            }
        }
        assertThat(exposureById).as("events of %s", flag).hasSizeGreaterThan(60);
        assertThat(deliveries).as("deliveries, duplicates included").isGreaterThan(exposureById.size());

        Map<String, String> served = new HashMap<>();
        Set<String> users = new HashSet<>(userById.values());
        assertThat(users).hasSizeGreaterThan(CLIENTS / 2);
        for (String user : users) {
            served.put(
                    user,
                    api.evaluate(flag, user)
                            .orThrow("evaluate")
                            .body()
                            .path("variant")
                            .asText());
        }
        Map<Cohort, Long> expected = new EnumMap<>(Cohort.class);
        exposureById.forEach((id, exposure) -> {
            assertThat(exposure.getVariant())
                    .as("variant of %s's event %s", userById.get(id), id)
                    .isEqualTo(served.get(userById.get(id)));
            expected.merge(exposure.getVariant().equals("on") ? Cohort.TREATMENT : Cohort.CONTROL, 1L, Long::sum);
        });
        assertThat(expected).containsKeys(Cohort.TREATMENT, Cohort.CONTROL);

        await().atMost(WAIT).untilAsserted(() -> assertThat(TopicContents.eventsPerCohort(flag))
                .as("events of %s counted per cohort in its closed windows", flag)
                .isEqualTo(expected));
    }
}
