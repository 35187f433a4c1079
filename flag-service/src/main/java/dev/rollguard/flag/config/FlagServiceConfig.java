package dev.rollguard.flag.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;

/** Configuration of the flag-service. */
@ConfigMapping(prefix = "flag-service")
public interface FlagServiceConfig {

    /** Name of the environment whose flags this instance serves (shown in the OFREP configuration). */
    @WithDefault("local")
    String environment();

    /**
     * Base URL browsers reach this service at ({@code https://flags.example.com}), on which the change stream URL of
     * the bulk evaluation is built. Unset: the request's own, which honours a proxy's {@code X-Forwarded-Proto} and
     * {@code X-Forwarded-Host} ({@code quarkus.http.proxy.*}).
     */
    Optional<URI> publicUrl();

    /** API tokens. */
    Tokens tokens();

    /** Per-token request rates on the evaluation endpoints. */
    RateLimit rateLimit();

    /** The outbox relay to flags.changes. */
    Outbox outbox();

    /** Server-sent change notifications. */
    Sse sse();

    /** Audit log queries. */
    Audit audit();

    /** Signed tokens in the change stream URL that the bulk evaluation advertises to browsers. */
    StreamTokens streamTokens();

    /** Health checks. */
    Health health();

    /** Digests of the targeting keys the OFREP endpoints evaluate flags under rollout for (evaluated.keys). */
    EvaluatedKeys evaluatedKeys();

    interface EvaluatedKeys {
        /** Whether the OFREP endpoints record the targeting keys they evaluate flags under rollout for. */
        @WithDefault("true")
        boolean enabled();

        /** Length of a slice: each instance keeps one Bloom filter per flag under rollout and slice. */
        @WithDefault("10m")
        Duration slice();

        /** Distinct targeting keys per flag, instance and slice the filter is sized for. */
        @WithDefault("10000")
        long capacity();

        /** False-positive rate of a filter holding {@code capacity} keys. */
        @WithDefault("0.01")
        double falsePositiveRate();

        /** How often the slices that took new keys are published. */
        @WithDefault("15s")
        Duration publishInterval();
    }

    interface Tokens {
        /** Admin token stored as {@code bootstrap-admin} at start; from ROLLGUARD_ADMIN_TOKEN. */
        Optional<String> bootstrapAdmin();

        /** Service token stored as {@code bootstrap-service} at start; from ROLLGUARD_SERVICE_TOKEN. */
        Optional<String> bootstrapService();

        /** Client token stored as {@code bootstrap-client} at start; from ROLLGUARD_CLIENT_TOKEN. */
        Optional<String> bootstrapClient();

        /** How often the in-memory token table is reloaded, so tokens made on other instances are accepted. */
        @WithDefault("10s")
        Duration refreshInterval();
    }

    interface RateLimit {
        /** Evaluation requests per second allowed to one token that has no rate of its own. */
        @WithDefault("20000")
        int defaultRequestsPerSecond();
    }

    interface Outbox {
        /** Largest number of outbox rows published in one relay pass. */
        @WithDefault("200")
        int batchSize();

        /** How often the relay looks for rows left unsent (after a restart or a failed send). */
        @WithDefault("1s")
        Duration pollInterval();

        /** How often the backlog of unsent rows is counted for the rollguard.outbox.pending gauge. */
        @WithDefault("10s")
        Duration pendingSampleInterval();

        /**
         * Largest encoded change event (the flag with the segments its rules use) a write may commit; a change over it
         * is refused with 413 FLAG_TOO_LARGE. Below the producer's max.request.size (1048576) with room for the key
         * and the record's framing, so every committed event can be published.
         */
        @WithDefault("900000")
        int maxEventBytes();

        /**
         * How long a published outbox row is kept: the compacted flags.changes topic holds every flag's latest state,
         * so a sent row is history only; older ones are deleted ({@code StorePruning}). Rows not sent, or set aside, are
         * never deleted.
         */
        @WithDefault("7d")
        Duration sentRetention();
    }

    /** Idempotency keys: how long a write's first answer is kept to answer the same request again. */
    Idempotency idempotency();

    interface Idempotency {
        /**
         * How long a key answers a repeated request with the first response; after that the same key is a new request.
         * Long enough for any retry (the rollback-service retries a flip until the flag-service answers).
         */
        @WithDefault("7d")
        Duration retention();
    }

    /** How often the outbox and idempotency tables are pruned ({@code StorePruning}). */
    @WithDefault("1h")
    Duration pruneInterval();

    interface Sse {
        /** Interval of the comment lines that keep idle change streams open through proxies. */
        @WithDefault("15s")
        Duration heartbeatInterval();

        /** Seconds of client inactivity after which OFREP providers may close the stream (advertised to them). */
        @WithDefault("120")
        int inactivityDelaySeconds();

        /**
         * How long a re-fetch that a change notification triggered waits for this instance to hold the change it names
         * ({@code flagConfigEtag}, {@code flagConfigLastModified}) before answering with what it holds (a 200).
         */
        @WithDefault("2s")
        Duration refetchWait();
    }

    interface StreamTokens {
        /**
         * HMAC-SHA256 key of the stream tokens, at least 32 characters, the same on every instance; from
         * ROLLGUARD_STREAM_TOKEN_SECRET. Unset: a random key of this instance's own (tokens then work only here).
         */
        Optional<String> secret();

        /** The key before the last rotation, still accepted so that streams advertised before it can reconnect. */
        Optional<String> previousSecret();

        /**
         * How long an advertised stream URL can be opened; a bulk answer's URL is valid for at least half of it. Long,
         * because providers and EventSource reconnect to the same URL (tab shown again, network back, a rolling
         * deploy) and a 401 ends EventSource for good; revoking the API token still closes the URL at the next connect.
         */
        @WithDefault(StreamTokens.DEFAULT_TTL)
        Duration ttl();

        /** Default of {@link #ttl()}: a working day and a night, so each URL handed out lasts at least 12 h. */
        String DEFAULT_TTL = "24h";
    }

    interface Audit {
        /** Rows returned by GET /api/audit when no limit is given. */
        @WithDefault("100")
        int defaultLimit();

        /** Largest limit GET /api/audit accepts. */
        @WithDefault("1000")
        int maxLimit();
    }

    interface Health {
        /** How long the readiness check waits for the Kafka brokers before it reports them DOWN. */
        @WithDefault("1s")
        Duration kafkaTimeout();
    }
}
