package dev.rollguard.infra;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * A Kafka broker and a PostgreSQL server of one application's own, so that its tests can stop either for real
 * ({@link #stopKafka()}, {@link #stopDatabase()}) without pulling them from under the tests of other applications,
 * which use {@link SharedInfra}. Each restarts on its port with its data, like a restarted production server. The
 * embedded servers are always used here: an outage cannot be staged on a server configured from outside.
 *
 * <p>Init args as {@link InfraTestResource}: {@value InfraTestResource#DATABASE} and {@value
 * InfraTestResource#KAFKA_STREAMS}.
 */
public class OutageTestResource implements QuarkusTestResourceLifecycleManager {

    private static EmbeddedKafka kafka;
    private static Path kafkaDir;
    private static int kafkaPort;
    private static int controllerPort;
    private static EmbeddedPostgresServer postgres;
    private static Path postgresDir;
    private static int postgresPort;

    private String database;
    private boolean kafkaStreams;

    @Override
    public void init(Map<String, String> initArgs) {
        database = initArgs.get(InfraTestResource.DATABASE);
        kafkaStreams = Boolean.parseBoolean(initArgs.getOrDefault(InfraTestResource.KAFKA_STREAMS, "false"));
    }

    @Override
    public Map<String, String> start() {
        Map<String, String> config = new HashMap<>();
        kafkaDir = SharedInfra.freshDirectory("outage-kafka");
        kafkaPort = Ports.free();
        controllerPort = Ports.free();
        startKafka();
        kafka.createTopics(TopicPlan.all(3));
        String bootstrap = kafka.bootstrapServers();
        config.put("kafka.bootstrap.servers", bootstrap);
        if (kafkaStreams) {
            config.put("quarkus.kafka-streams.bootstrap-servers", bootstrap);
            config.put(
                    "kafka-streams.state.dir",
                    SharedInfra.freshDirectory("outage-streams-state").toString());
        }
        if (database != null) {
            postgresDir = SharedInfra.freshDirectory("outage-postgres");
            postgresPort = Ports.free();
            startDatabase();
            postgres.createDatabase(database);
            String jdbc = postgres.jdbcUrl(database);
            config.put("quarkus.datasource.jdbc.url", jdbc);
            config.put("quarkus.datasource.reactive.url", jdbc.substring("jdbc:".length()));
            config.put("quarkus.datasource.username", EmbeddedPostgresServer.USER);
            config.put("quarkus.datasource.password", "");
        }
        return config;
    }

    /** Stops the broker: connections drop, new ones are refused. */
    public static synchronized void stopKafka() {
        if (kafka != null) {
            kafka.close();
            kafka = null;
        }
    }

    /** Starts the broker again on the same ports with the same data. */
    public static synchronized void startKafka() {
        if (kafka == null) {
            kafka = EmbeddedKafka.start(kafkaDir, kafkaPort, controllerPort);
        }
    }

    /** Stops the PostgreSQL server (a real shutdown: connections drop, new ones are refused). */
    public static synchronized void stopDatabase() {
        if (postgres != null) {
            postgres.close();
            postgres = null;
        }
    }

    /** Starts the PostgreSQL server again on the same port with the same data. */
    public static synchronized void startDatabase() {
        if (postgres == null && postgresDir != null) {
            postgres = EmbeddedPostgresServer.start(postgresDir, postgresPort);
        }
    }

    @Override
    public void stop() {
        stopKafka();
        stopDatabase();
    }
}
