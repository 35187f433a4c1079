package dev.rollguard.console.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** Settings of the web console. */
@ConfigMapping(prefix = "console")
public interface ConsoleConfig {

    /** Where the four services answer. */
    Services services();

    /** Kafka brokers the live views read from (KAFKA_BOOTSTRAP_SERVERS). */
    @WithDefault("127.0.0.1:19092")
    String kafkaBootstrapServers();

    /** Operator sessions. */
    Session session();

    /** The in-memory recent history behind the live charts. */
    History history();

    interface Services {
        /** Base URL of the flag-service. */
        @WithDefault("http://127.0.0.1:8081")
        String flagService();

        /** Base URL of metrics-ingest. */
        @WithDefault("http://127.0.0.1:8082")
        String metricsIngest();

        /** Base URL of the alert-service. */
        @WithDefault("http://127.0.0.1:8083")
        String alertService();

        /** Base URL of the rollback-service. */
        @WithDefault("http://127.0.0.1:8084")
        String rollbackService();

        /**
         * How long a connection to a service may take to open, and a page read or a write may take, before the page
         * shows the service as unavailable (the health report's read is bounded by its own deadline instead).
         */
        @WithDefault("10s")
        Duration timeout();

        /**
         * How long a page waits for all the services it reads from, read at once: a service that has not answered by
         * then is shown as unavailable in its section, and the rest of the page is shown.
         */
        @WithDefault("5s")
        Duration pageDeadline();

        /** How long /health-report waits for metrics-ingest, which asks its peers with a 5 s timeout each. */
        @WithDefault("12s")
        Duration healthReportDeadline();
    }

    interface Session {
        /**
         * The key that seals the session cookies (CONSOLE_SESSION_SECRET, at least 32 characters): the same on every
         * replica, so that any of them accepts a session another one opened. Unset: a random key per start.
         */
        Optional<String> secret();

        /** A session unused this long is forgotten and the operator signs in again. */
        @WithDefault("8h")
        Duration idleTimeout();

        /** Mark the session cookie Secure (set it when the console is served over HTTPS). */
        @WithDefault("false")
        boolean secureCookie();

        /**
         * How long a session whose admin rights could not be confirmed at sign-in (the flag-service slow or failing)
         * stays read-only before a page load asks the flag-service again.
         */
        @WithDefault("30s")
        Duration adminRecheck();
    }

    interface History {
        /** Windows kept per flag and cohort; the oldest are dropped first. */
        @WithDefault("360")
        int windowsPerCohort();

        /** Alerts and automatic actions kept per flag and in the global recent list. */
        @WithDefault("200")
        int events();

        /** On start, read the topics back this far so the charts are not empty after a restart. */
        @WithDefault("30m")
        Duration replay();
    }
}
