package dev.rollguard.infra;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The infrastructure processes of {@code bin/rollguard up}: a Kafka broker and a PostgreSQL server that run until
 * stopped (SIGTERM), and topic creation against any broker.
 */
@Command(
        name = "rollguard-infra",
        mixinStandardHelpOptions = true,
        subcommands = {
            LocalInfraMain.Kafka.class,
            LocalInfraMain.Postgres.class,
            LocalInfraMain.CreateTopics.class,
            LocalInfraMain.CreateDatabases.class
        },
        description = "Embedded Kafka and PostgreSQL for the Rollguard local stack.")
public final class LocalInfraMain {

    /** The databases of the services that own data: flag-service, alert-service, rollback-service. */
    static final String DATABASES = "rollguard_flags,rollguard_alerts,rollguard_rollbacks";
    /** What the Kafka command logs, followed by the bootstrap address, once the broker serves the topics. */
    static final String KAFKA_READY = "Rollguard Kafka ready";
    /** What the PostgreSQL command logs, followed by the JDBC URL, once the databases exist. */
    static final String POSTGRES_READY = "Rollguard PostgreSQL ready";

    public static void main(String[] args) {
        System.exit(new CommandLine(new LocalInfraMain()).execute(args));
    }

    @Command(name = "kafka", description = "Run a single-node KRaft Kafka broker with Rollguard's topics.")
    static final class Kafka implements Callable<Integer> {
        @Option(names = "--data", required = true, description = "Data directory (formatted on first start).")
        Path data;

        @Option(names = "--port", defaultValue = "19092", description = "Client port (default ${DEFAULT-VALUE}).")
        int port;

        @Option(
                names = "--controller-port",
                defaultValue = "19093",
                description = "KRaft controller port (default ${DEFAULT-VALUE}).")
        int controllerPort;

        @Option(
                names = "--partitions",
                defaultValue = "3",
                description = "Partitions of the telemetry topics (default ${DEFAULT-VALUE}).")
        int partitions;

        @Override
        public Integer call() throws InterruptedException {
            EmbeddedKafka kafka = EmbeddedKafka.start(data, port, controllerPort);
            kafka.createTopics(TopicPlan.all(partitions));
            System.out.println(KAFKA_READY + " on " + kafka.bootstrapServers());
            runUntilStopped(kafka);
            return 0;
        }
    }

    @Command(name = "postgres", description = "Run a PostgreSQL server with Rollguard's databases.")
    static final class Postgres implements Callable<Integer> {
        @Option(names = "--data", required = true, description = "Data directory (initialised on first start).")
        Path data;

        @Option(names = "--port", defaultValue = "15432", description = "Port (default ${DEFAULT-VALUE}).")
        int port;

        @Option(
                names = "--database",
                split = ",",
                defaultValue = DATABASES,
                description = "Databases to create when missing (default ${DEFAULT-VALUE}).")
        List<String> databases;

        @Override
        public Integer call() throws InterruptedException {
            EmbeddedPostgresServer postgres = EmbeddedPostgresServer.start(data, port, true);
            databases.forEach(postgres::createDatabase);
            System.out.println(POSTGRES_READY + " on " + postgres.jdbcUrl(""));
            runUntilStopped(postgres);
            return 0;
        }
    }

    @Command(name = "create-topics", description = "Create Rollguard's topics on an existing broker.")
    static final class CreateTopics implements Callable<Integer> {
        @Option(names = "--bootstrap", required = true, description = "Bootstrap servers.")
        String bootstrap;

        @Option(
                names = "--partitions",
                defaultValue = "3",
                description = "Partitions of the telemetry topics (default ${DEFAULT-VALUE}).")
        int partitions;

        @Override
        public Integer call() {
            EmbeddedKafka.createTopics(bootstrap, TopicPlan.all(partitions));
            System.out.println("Rollguard topics present on " + bootstrap);
            return 0;
        }
    }

    @Command(name = "create-databases", description = "Create Rollguard's databases on an existing PostgreSQL server.")
    static final class CreateDatabases implements Callable<Integer> {
        @Option(
                names = "--url",
                required = true,
                description = "JDBC URL of any database on the server, e.g. jdbc:postgresql://db:5432/postgres.")
        String url;

        @Option(names = "--user", defaultValue = "postgres", description = "User (default ${DEFAULT-VALUE}).")
        String user;

        @Option(names = "--password", defaultValue = "", description = "Password.")
        String password;

        @Option(
                names = "--database",
                split = ",",
                defaultValue = DATABASES,
                description = "Databases to create when missing (default ${DEFAULT-VALUE}).")
        List<String> databases;

        @Override
        public Integer call() {
            databases.forEach(db -> EmbeddedPostgresServer.createDatabase(url, user, password, db));
            System.out.println("Rollguard databases present: " + String.join(", ", databases));
            return 0;
        }
    }

    private static void runUntilStopped(AutoCloseable server) throws InterruptedException {
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            try {
                                server.close();
                            } catch (Exception e) {
                                System.err.println("stopping failed: " + e);
                            }
                            stopped.countDown();
                        },
                        "rollguard-infra-stop"));
        stopped.await();
    }
}
