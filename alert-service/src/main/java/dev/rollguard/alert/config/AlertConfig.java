package dev.rollguard.alert.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** Configuration of the alert-service. */
@ConfigMapping(prefix = "alert-service")
public interface AlertConfig {

    /** Whether the default rule pack is loaded on the first start (an empty rule set is never reloaded later). */
    @WithDefault("true")
    boolean loadDefaultRules();

    /**
     * How often rules and subscriptions are read again, so that a change made through one instance reaches the others
     * (the instance that made it applies it at once).
     */
    @WithDefault("10s")
    Duration configRefreshInterval();

    /** Who may call the API. */
    Auth auth();

    /** Rule evaluation. */
    Evaluation evaluation();

    /** The outbox relay that publishes alerts to Kafka, SSE subscribers and webhooks. */
    Relay relay();

    /** Alerts received from outside ({@code POST /api/alerts/inbound}). */
    Inbound inbound();

    /** Webhook deliveries. */
    Webhooks webhooks();

    /** The SSE stream of alerts. */
    Sse sse();

    /** The REST API's requests. */
    Http http();

    interface Http {
        /** Largest request body in bytes; larger ones get 413 (quarkus.http.limits.max-body-size must be above). */
        @WithDefault("1048576")
        long maxBodyBytes();
    }

    interface Sse {
        /** Interval of comment lines on an idle stream, so proxies and load balancers keep the connection open. */
        @WithDefault("15s")
        Duration heartbeat();
    }

    interface Auth {
        /** Admin token (ROLLGUARD_ADMIN_TOKEN): reads and writes everything; without it every API call is refused. */
        Optional<String> adminToken();

        /** Tokens that may read alerts, rules and webhooks but change nothing (e.g. ROLLGUARD_SERVICE_TOKEN). */
        Optional<List<String>> readTokens();

        /** Tokens that may only post alerts to /api/alerts/inbound (ROLLGUARD_INBOUND_TOKEN), e.g. an Alertmanager's. */
        Optional<List<String>> inboundTokens();
    }

    interface Evaluation {
        /** Flapping protection: firings of one alert within {@link #flapWindow()} before resolution is held back. */
        @WithDefault("3")
        int flapMaxFirings();

        /** Flapping protection: the window over which firings are counted, and the health needed to resolve then. */
        @WithDefault("1h")
        Duration flapWindow();

        /** A scope that sent no window for this long has its rules' no-data policies applied. */
        @WithDefault("10m")
        Duration noDataAfter();

        /** How often silent scopes are checked and stale cohort windows pruned. */
        @WithDefault("30s")
        Duration sweepInterval();

        /** How long one cohort window of a flag waits for the other cohort's window of the same interval. */
        @WithDefault("1h")
        Duration cohortPairingRetention();
    }

    interface Inbound {
        /** How often firing alerts whose sender's endsAt passed without a new copy are resolved. */
        @WithDefault("15s")
        Duration expiryInterval();
    }

    interface Relay {
        /** Interval of the outbox poll, the backstop of the relay (alerts are sent right after their commit). */
        @WithDefault("1s")
        Duration interval();

        /** Alerts published per poll round. */
        @WithDefault("500")
        int batchSize();

        /**
         * How long a transition stored by another instance stays unpublished before this instance's poll publishes it
         * (that instance crashed, or cannot reach the broker). It must be longer than the longest send, twice {@link
         * #maxBlock()} plus {@link #deliveryTimeout()} plus {@link #requestTimeout()}, plus 5 s, or the service refuses
         * to start: a shorter one lets two instances send a transition at once, the late copy perhaps after a later
         * transition of its alert.
         */
        @WithDefault("30s")
        Duration takeoverAfter();

        /**
         * The alerts producer's {@code max.block.ms}: how long a send waits for the topic's metadata or buffer space;
         * a record also waits at most this long to be handed to the producer at all.
         */
        @WithDefault("3s")
        Duration maxBlock();

        /** The alerts producer's {@code delivery.timeout.ms}: how long Kafka retries a record before it fails it. */
        @WithDefault("10s")
        Duration deliveryTimeout();

        /** The alerts producer's {@code request.timeout.ms}; with {@code linger.ms} 0 it must fit in the above. */
        @WithDefault("5s")
        Duration requestTimeout();
    }

    interface Webhooks {
        /** Timeout of one delivery attempt. */
        @WithDefault("5s")
        Duration timeout();

        /** Retries after the first attempt, with exponential backoff, before a delivery is marked FAILED. */
        @WithDefault("5")
        int maxRetries();

        /** Delay before the first retry; doubled at each retry (with jitter) up to {@link #maxBackoff()}. */
        @WithDefault("1s")
        Duration initialBackoff();

        /** Longest delay between two attempts. */
        @WithDefault("1m")
        Duration maxBackoff();

        /**
         * How long an instance holds the pending deliveries it took (every attempt and backoff of one delivery must fit
         * in it); a crashed instance's deliveries are taken over by another once it ends.
         */
        @WithDefault("10m")
        Duration claimLease();

        /** Deliveries in flight per receiver: a slow or dead receiver holds at most this many. */
        @WithDefault("4")
        int maxInFlightPerReceiver();

        /** Alerts listed in one notification (Alertmanager's max_alerts), the rest counted as truncated; 0: all. */
        @WithDefault("0")
        int maxAlertsPerNotification();

        /**
         * Base URL of the Rollguard console as people open it, configured once: every link of a notification points at
         * its pages (flags, alerts, automatic actions), and the generic webhook's {@code externalURL} is this URL.
         */
        @WithDefault("http://localhost:8085")
        String consoleUrl();
    }
}
