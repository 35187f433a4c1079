package dev.rollguard.infra;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The configuration every Rollguard service gets from its environment, written once: the Kafka bootstrap servers,
 * the PostgreSQL URL, user and password of the services that own data, and the tokens. Used for the tests' stack,
 * the benchmarks and {@code bin/rollguard up}.
 *
 * @param kafkaBootstrap the Kafka bootstrap servers
 * @param jdbcUrl the JDBC URL of a database by name (creating it first where the caller needs that)
 * @param dbUser the PostgreSQL user
 * @param dbPassword the PostgreSQL password; blank means {@value #DEFAULT_DB_PASSWORD} (see {@link #password})
 * @param tokens the tokens the services accept
 */
public record StackSettings(
        String kafkaBootstrap, UnaryOperator<String> jdbcUrl, String dbUser, String dbPassword, Tokens tokens) {

    /** The database of each service that owns data. */
    public static final Map<String, String> DATABASES = Map.of(
            "flag-service", "rollguard_flags",
            "alert-service", "rollguard_alerts",
            "rollback-service", "rollguard_rollbacks");

    public static final String DEFAULT_DB_USER = "postgres";

    /**
     * The password given when none is: the embedded server trusts any password, while the services' datasource needs
     * one to be set, and a PostgreSQL server of one's own most often has this one.
     */
    public static final String DEFAULT_DB_PASSWORD = "postgres";

    /** The test JVM's Kafka and PostgreSQL ({@link SharedInfra}), databases created as needed. */
    public static StackSettings sharedInfra(Tokens tokens) {
        return new StackSettings(
                SharedInfra.kafkaBootstrap(),
                SharedInfra::jdbcUrl,
                SharedInfra.dbUser(),
                SharedInfra.dbPassword(),
                tokens);
    }

    /** A Kafka and a PostgreSQL server ({@code host:port}) whose databases exist. */
    public static StackSettings servers(
            String kafkaBootstrap, String dbServer, String dbUser, String dbPassword, Tokens tokens) {
        return new StackSettings(
                kafkaBootstrap,
                database -> "jdbc:postgresql://" + dbServer + "/" + database,
                dbUser,
                dbPassword,
                tokens);
    }

    /** The one fallback rule: a blank or missing password is {@value #DEFAULT_DB_PASSWORD}. */
    public static String password(String given) {
        return given == null || given.isBlank() ? DEFAULT_DB_PASSWORD : given;
    }

    /** A blank or missing user is {@value #DEFAULT_DB_USER}. */
    public static String user(String given) {
        return given == null || given.isBlank() ? DEFAULT_DB_USER : given;
    }

    /** The environment of a service: Kafka, its tokens, and its own database if it owns one. */
    public Map<String, String> environment(String service) {
        return environment(service, DATABASES.get(service));
    }

    /** The environment of a service on the given database (null: none), e.g. a benchmark's fresh one. */
    public Map<String, String> environment(String service, String database) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("KAFKA_BOOTSTRAP_SERVERS", kafkaBootstrap);
        env.putAll(tokens.environment(service));
        if (database != null) {
            env.putAll(datasource(jdbcUrl.apply(database), dbUser, dbPassword));
        }
        return env;
    }

    /** The datasource variables of a Quarkus service: JDBC and reactive URL, user, password (with the fallback). */
    public static Map<String, String> datasource(String jdbcUrl, String user, String password) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("QUARKUS_DATASOURCE_JDBC_URL", jdbcUrl);
        env.put("QUARKUS_DATASOURCE_REACTIVE_URL", jdbcUrl.substring("jdbc:".length()));
        env.put("QUARKUS_DATASOURCE_USERNAME", user(user));
        env.put("QUARKUS_DATASOURCE_PASSWORD", password(password));
        return env;
    }
}
