package dev.rollguard.infra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The Kafka broker and PostgreSQL server shared by every test of one JVM, started on first use on free ports and
 * stopped when the JVM exits. {@code ROLLGUARD_TEST_INFRA} selects which ({@link #kind()}):
 *
 * <ul>
 *   <li>{@code embedded} (the default, and what an unset variable means): a real Kafka broker in this JVM and a real
 *       PostgreSQL server beside it, from Maven Central artifacts, without Docker;
 *   <li>{@code testcontainers}: Testcontainers' Kafka and PostgreSQL modules, in a Docker engine.
 * </ul>
 *
 * Either server is replaced by an existing one when configured:
 *
 * <ul>
 *   <li>{@code ROLLGUARD_TEST_KAFKA_BOOTSTRAP}: bootstrap servers of a Kafka broker to use instead;
 *   <li>{@code ROLLGUARD_TEST_DB_URL}: JDBC URL of a PostgreSQL server to use instead (any database on it, e.g.
 *       {@code jdbc:postgresql://127.0.0.1:5432/test}), with {@code ROLLGUARD_TEST_DB_USER} and {@code
 *       ROLLGUARD_TEST_DB_PASSWORD}.
 * </ul>
 *
 * Each service gets its own database on the server, created when missing.
 */
public final class SharedInfra {

    public static final String KAFKA_ENV = "ROLLGUARD_TEST_KAFKA_BOOTSTRAP";
    public static final String DB_URL_ENV = "ROLLGUARD_TEST_DB_URL";
    public static final String DB_USER_ENV = "ROLLGUARD_TEST_DB_USER";
    public static final String DB_PASSWORD_ENV = "ROLLGUARD_TEST_DB_PASSWORD";
    public static final String INFRA_ENV = "ROLLGUARD_TEST_INFRA";

    /** Where the test servers come from. */
    public enum Kind {
        /** Started from Maven Central artifacts in and beside the test JVM: no Docker (the default). */
        EMBEDDED,
        /** Testcontainers' Kafka and PostgreSQL modules: needs a Docker engine. */
        TESTCONTAINERS
    }

    private static EmbeddedKafka kafka;
    private static String kafkaBootstrap;
    private static EmbeddedPostgresServer postgres;
    private static String dbServerUrl;
    private static String dbUser;
    private static String dbPassword;
    private static boolean containers;
    private static Path root;

    private SharedInfra() {}

    /** The selection of this JVM's environment: {@code ROLLGUARD_TEST_INFRA}, embedded when unset. */
    public static Kind kind() {
        return kind(System.getenv());
    }

    /** The selection an environment makes: {@code embedded} when unset or blank, else the value, in any case. */
    static Kind kind(java.util.Map<String, String> environment) {
        String value = environment.get(INFRA_ENV);
        if (value == null || value.isBlank()) {
            return Kind.EMBEDDED;
        }
        for (Kind kind : Kind.values()) {
            if (kind.name().equalsIgnoreCase(value.strip())) {
                return kind;
            }
        }
        throw new IllegalArgumentException(
                INFRA_ENV + "=" + value + " is not a choice: embedded (the default) or testcontainers");
    }

    /** Bootstrap servers of the test broker, starting it (and creating Rollguard's topics) on first call. */
    public static synchronized String kafkaBootstrap() {
        if (kafkaBootstrap == null) {
            String external = System.getenv(KAFKA_ENV);
            if (external != null && !external.isBlank()) {
                kafkaBootstrap = external;
            } else if (kind() == Kind.TESTCONTAINERS) {
                root();
                containers = true;
                kafkaBootstrap = TestcontainersInfra.kafkaBootstrap();
            } else {
                kafka = EmbeddedKafka.start(root().resolve("kafka"), 0, 0);
                kafkaBootstrap = kafka.bootstrapServers();
            }
            EmbeddedKafka.createTopics(kafkaBootstrap, TopicPlan.all(3));
        }
        return kafkaBootstrap;
    }

    /** The embedded broker, or null when an external one is configured or none was started. */
    public static synchronized EmbeddedKafka embeddedKafka() {
        kafkaBootstrap();
        return kafka;
    }

    /** JDBC URL of {@code database} on the test server, creating the database (and starting the server) as needed. */
    public static synchronized String jdbcUrl(String database) {
        String server = dbServerUrl();
        EmbeddedPostgresServer.createDatabase(server, dbUser(), dbPassword(), database);
        return replaceDatabase(server, database);
    }

    /** The reactive (Vert.x) form of {@link #jdbcUrl(String)}. */
    public static String reactiveUrl(String database) {
        return jdbcUrl(database).substring("jdbc:".length());
    }

    public static synchronized String dbUser() {
        if (dbUser != null) {
            return dbUser;
        }
        String user = System.getenv(DB_USER_ENV);
        return user == null || user.isBlank() ? EmbeddedPostgresServer.USER : user;
    }

    public static synchronized String dbPassword() {
        if (dbPassword != null) {
            return dbPassword;
        }
        String password = System.getenv(DB_PASSWORD_ENV);
        return password == null ? "" : password;
    }

    /** A new empty directory, deleted when the JVM exits; e.g. a fresh Kafka Streams state directory. */
    public static synchronized Path freshDirectory(String prefix) {
        try {
            return Files.createTempDirectory(root(), prefix);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String dbServerUrl() {
        if (dbServerUrl == null) {
            String external = System.getenv(DB_URL_ENV);
            if (external != null && !external.isBlank()) {
                dbServerUrl = external;
            } else if (kind() == Kind.TESTCONTAINERS) {
                root();
                containers = true;
                TestcontainersInfra.Database database = TestcontainersInfra.postgres();
                dbUser = database.user();
                dbPassword = database.password();
                dbServerUrl = database.jdbcUrl();
            } else {
                postgres = EmbeddedPostgresServer.start(root().resolve("postgres"), 0);
                dbServerUrl = postgres.jdbcUrl("postgres");
            }
        }
        return dbServerUrl;
    }

    static String replaceDatabase(String jdbcUrl, String database) {
        int query = jdbcUrl.indexOf('?');
        String base = query < 0 ? jdbcUrl : jdbcUrl.substring(0, query);
        String params = query < 0 ? "" : jdbcUrl.substring(query);
        int slash = base.indexOf('/', "jdbc:postgresql://".length());
        String hostPart = slash < 0 ? base : base.substring(0, slash);
        return hostPart + "/" + database + params;
    }

    private static Path root() {
        if (root == null) {
            try {
                root = Files.createTempDirectory("rollguard-test-infra");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Runtime.getRuntime().addShutdownHook(new Thread(SharedInfra::shutdown, "rollguard-test-infra-stop"));
        }
        return root;
    }

    private static synchronized void shutdown() {
        if (containers) {
            TestcontainersInfra.stop();
        }
        if (kafka != null) {
            kafka.close();
        }
        if (postgres != null) {
            postgres.close();
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort: the directory lives under java.io.tmpdir
        }
    }
}
