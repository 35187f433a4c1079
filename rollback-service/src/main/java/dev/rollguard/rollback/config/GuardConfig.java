package dev.rollguard.rollback.config;

import dev.rollguard.schemas.event.GuardAction;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import jakarta.validation.constraints.Min;
import java.time.Duration;
import java.util.Optional;

/** Configuration of the rollback-service. */
@ConfigMapping(prefix = "rollback-service")
public interface GuardConfig {

    /** When true, every action is recorded but no flag is changed, whatever the flag's own policy says. */
    @WithDefault("false")
    boolean dryRun();

    /** Which critical alerts naming a flag prove the flag at fault and may change it. */
    @WithDefault("COMPARATIVE")
    FlagEvidence flagEvidence();

    /** What to do with a critical alert whose scope names no flag (table, platform, global). */
    @WithDefault("NOTIFY")
    ScopelessPolicy scopeless();

    /**
     * How often the alerts skipped for a cooldown are looked at again once it has ended (they are acted on then if they
     * still fire).
     */
    @WithDefault("5s")
    Duration cooldownRecheckInterval();

    /** The flag-service the guard reads policies from and applies actions through. */
    FlagService flagService();

    /**
     * The alert-service the guard asks whether an alert still fires before it changes a flag, and whose guard verdicts
     * the promoter reads.
     */
    AlertService alertService();

    /** Policy applied to a flag that declares none. */
    DefaultPolicy defaultPolicy();

    /** Retries of work that failed for a reason expected to pass (flag-service, database or broker unavailable). */
    Retry retry();

    /** Measurement of when a kill becomes visible to clients on the OFREP endpoint. */
    Visibility visibility();

    /** API tokens (from ROLLGUARD_ADMIN_TOKEN, ROLLGUARD_SERVICE_TOKEN, ROLLGUARD_CLIENT_TOKEN). */
    Tokens tokens();

    /** Kafka topics the service manages itself. */
    Kafka kafka();

    /** How the alerts topic is read: alerts of one flag in order, of different flags side by side. */
    Listener listener();

    /** The REST API's requests. */
    Http http();

    /** The promoter: advances auto stages of rollout plans on the guard's evidence. */
    Promotion promotion();

    interface Promotion {
        /** Whether the promoter runs; off, auto stages wait like manual ones. */
        @WithDefault("true")
        boolean enabled();

        /**
         * Time between two rounds (each reads every plan and every verdict once). Also set as
         * {@code rollback-service.promotion.interval} in application.properties, where the scheduler reads it.
         */
        @WithDefault("10s")
        Duration interval();

        /**
         * How old the newest window a guard verdict judged may be for a promotion: a verdict older than this may
         * predate a regression whose windows are not judged yet (windows running late), so the stage waits. Normal
         * age: up to one window, its grace, the pipeline's delay and one interval (about 85 s with 1-minute windows
         * and 10 s grace).
         */
        @WithDefault("150s")
        Duration maxEvidenceAge();

        /** When true, steps are decided and recorded but no flag is changed. */
        @WithDefault("false")
        boolean dryRun();

        /**
         * The former name of {@link GuardConfig#alertService()}, which deployments may still set: each of its settings
         * is read only when the new name is not set. Mapped so that the mapping, which refuses names it does not know
         * under its prefix, still accepts them.
         */
        @Deprecated
        FormerAlertService alertService();

        interface FormerAlertService {
            /** Former name of {@code rollback-service.alert-service.url}. */
            Optional<String> url();

            /** Former name of {@code rollback-service.alert-service.connect-timeout}. */
            Optional<Duration> connectTimeout();

            /** Former name of {@code rollback-service.alert-service.read-timeout}. */
            Optional<Duration> readTimeout();
        }
    }

    interface Http {
        /** Largest request body in bytes; larger ones get 413 (quarkus.http.limits.max-body-size must be above). */
        @WithDefault("1048576")
        long maxBodyBytes();
    }

    /** What an alert naming a flag must show before the guard changes that flag. */
    enum FlagEvidence {
        /**
         * The treated cohort is worse than the control cohort (a comparative rule). An absolute threshold breached by
         * the treated cohort alone cannot tell a bad change from an outage that hits every client: notified only.
         */
        COMPARATIVE,
        /** Any critical alert on the flag's treated cohort (or on the whole flag) is enough. */
        ANY
    }

    /** How scope-less critical alerts are handled: they never change a flag. */
    enum ScopelessPolicy {
        /** Record a NOTIFY_ONLY action (history and rollbacks topic) and change nothing. */
        NOTIFY,
        /** Count the alert in the metrics and otherwise ignore it. */
        IGNORE
    }

    interface FlagService {
        /** Base URL of the flag-service admin and OFREP APIs. */
        @WithDefault("http://127.0.0.1:8081")
        String url();

        /** Time allowed to open a connection to the flag-service. */
        @WithDefault("1s")
        Duration connectTimeout();

        /** Time allowed for one flag-service answer. */
        @WithDefault("3s")
        Duration readTimeout();
    }

    /** Each setting falls back to its former name under {@code rollback-service.promotion.alert-service}. */
    interface AlertService {
        /** Base URL of the alert-service API (read with the service token). */
        @WithDefault("${rollback-service.promotion.alert-service.url:http://127.0.0.1:8083}")
        String url();

        /** Time allowed to open a connection to the alert-service. */
        @WithDefault("${rollback-service.promotion.alert-service.connect-timeout:1s}")
        Duration connectTimeout();

        /** Time allowed for one alert-service answer. */
        @WithDefault("${rollback-service.promotion.alert-service.read-timeout:3s}")
        Duration readTimeout();
    }

    interface DefaultPolicy {
        /** Action for a flag without a guard policy. */
        @WithDefault("KILL")
        GuardAction action();

        /** Cooldown for a flag without a guard policy. */
        @WithDefault("300")
        long cooldownSeconds();
    }

    interface Retry {
        /** First wait before retrying. */
        @WithDefault("200ms")
        Duration initialBackoff();

        /**
         * Longest wait between two retries, hence the longest delay between the flag-service coming back and the flip;
         * the guard retries without limit so that no alert is lost.
         */
        @WithDefault("5s")
        Duration maxBackoff();
    }

    interface Visibility {
        /** Whether to poll OFREP after a kill until clients see it. */
        @WithDefault("true")
        boolean enabled();

        /** Pause between two OFREP polls. */
        @WithDefault("20ms")
        Duration pollInterval();

        /** Longest time to wait for the kill to show on OFREP before recording it as not seen. */
        @WithDefault("5s")
        Duration timeout();

        /** Targeting key of the probe evaluation. */
        @WithDefault("rollguard-visibility-probe")
        String targetingKey();
    }

    interface Tokens {
        /** Token that may read the rollback history. */
        String admin();

        /** Token sent to the flag-service for reads and guard actions. */
        String service();

        /** Token sent to the OFREP endpoint to measure visibility. */
        String client();
    }

    interface Listener {
        /**
         * Most alerts handled at once (their actions running against the flag-service and the database); alerts
         * queued behind an earlier alert of their flag take no place, so a burst for one flag holds back no other
         * until {@link #maxQueued()} alerts are queued.
         */
        @WithDefault("1000")
        @Min(1)
        int maxInFlight();

        /**
         * Most alerts read and not started (behind an earlier alert of their flag, or waiting for a place); when
         * reached, reading waits until one starts, so memory stays bounded during a long flag-service outage.
         */
        @WithDefault("1000")
        @Min(1)
        int maxQueued();

        /**
         * On stop, how long the alerts being handled get to finish; those that do not are not acknowledged, so they
         * are read again at the next start.
         */
        @WithDefault("10s")
        Duration shutdownGrace();
    }

    interface Kafka {
        /** Create the alerts dead-letter topic at start when it is missing (the broker does not auto-create). */
        @WithDefault("true")
        boolean createDeadLetterTopic();

        /** Partitions of the dead-letter topic when the service creates it. */
        @WithDefault("1")
        int deadLetterPartitions();

        /** Replication factor of the dead-letter topic when the service creates it. */
        @WithDefault("1")
        short deadLetterReplicationFactor();
    }
}
