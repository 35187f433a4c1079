package dev.rollguard.infra;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.HashMap;
import java.util.Map;

/**
 * Points a {@code @QuarkusTest} at the real Kafka broker and PostgreSQL server of {@link SharedInfra}.
 *
 * <pre>{@code
 * @QuarkusTestResource(value = InfraTestResource.class, initArgs = @ResourceArg(name = "database", value = "flags"))
 * }</pre>
 *
 * Init args: {@value #DATABASE} (a database name: configures the JDBC and reactive datasources), {@value
 * #KAFKA_STREAMS} ({@code true}: a fresh Kafka Streams state directory for this application start).
 */
public class InfraTestResource implements QuarkusTestResourceLifecycleManager {

    public static final String DATABASE = "database";
    public static final String KAFKA_STREAMS = "kafka-streams";

    private String database;
    private boolean kafkaStreams;

    @Override
    public void init(Map<String, String> initArgs) {
        database = initArgs.get(DATABASE);
        kafkaStreams = Boolean.parseBoolean(initArgs.getOrDefault(KAFKA_STREAMS, "false"));
    }

    @Override
    public Map<String, String> start() {
        Map<String, String> config = new HashMap<>();
        String bootstrap = SharedInfra.kafkaBootstrap();
        config.put("kafka.bootstrap.servers", bootstrap);
        if (kafkaStreams) {
            config.put("quarkus.kafka-streams.bootstrap-servers", bootstrap);
            config.put(
                    "kafka-streams.state.dir",
                    SharedInfra.freshDirectory("streams-state").toString());
        }
        if (database != null) {
            String jdbc = SharedInfra.jdbcUrl(database);
            config.put("quarkus.datasource.jdbc.url", jdbc);
            config.put("quarkus.datasource.reactive.url", jdbc.substring("jdbc:".length()));
            config.put("quarkus.datasource.username", SharedInfra.dbUser());
            config.put("quarkus.datasource.password", SharedInfra.dbPassword());
        }
        return config;
    }

    @Override
    public void stop() {
        // The broker and server outlive one application: SharedInfra stops them when the JVM exits.
    }
}
