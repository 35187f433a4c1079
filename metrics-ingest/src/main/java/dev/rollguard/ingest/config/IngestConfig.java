package dev.rollguard.ingest.config;

import dev.rollguard.schemas.telemetry.TelemetryLimits;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** Configuration of metrics-ingest. */
@ConfigMapping(prefix = "metrics-ingest")
public interface IngestConfig {

    /** Tumbling and hopping windows over event time. */
    Windows windows();

    /** Duplicate suppression by event id. */
    Dedup dedup();

    /** Rules every telemetry event must pass, on Kafka and over HTTP alike. */
    Validation validation();

    /** Cohort assignment from flags.changes. */
    Flags flags();

    /** Percentile and distinct-count estimation. */
    Sketch sketch();

    /** The HTTP intake {@code POST /api/telemetry}. */
    Intake intake();

    /** Bearer tokens accepted by the REST API. */
    Auth auth();

    /** The health report {@code GET /api/health-report}. */
    Report report();

    /** The guard's client-level statistics. */
    Guard guard();

    /** The check of events without exposures against the targeting keys the flag-service evaluated. */
    EvaluationKeys evaluationKeys();

    /** The off-heap memory of the RocksDB state stores. */
    Rocksdb rocksdb();

    interface Rocksdb {
        /**
         * Bytes of off-heap memory that all RocksDB state stores of the instance share (one block cache, index and
         * filter blocks and memtables included), however many tasks, stores and segments it holds; at least 16 MiB.
         * It lives beside the heap within the container's memory limit (README, "Memory").
         */
        @WithDefault("268435456")
        long memoryBytes();
    }

    interface Guard {
        /**
         * How long a client's cumulative figures of a flag's rollout stage are kept after its last event; a client
         * back after that counts as a new client of the stage. Memory: about 400 bytes per client, cohort and flag
         * under rollout seen within this time.
         */
        @WithDefault("24h")
        Duration clientStateTtl();

        /**
         * Clients tracked per flag under rollout, stage and cohort in each input task; beyond it the cohort's clients
         * are sampled by a hash of their id (the sample halves until it fits), so the state no longer grows with the
         * client count. At least 1; the guard needs a few hundred clients per cohort, and the default keeps 5 000 per
         * task (metrics-ingest README, "Why the statistics stay valid").
         */
        @WithDefault("5000")
        int maxClientsPerCohort();
    }

    interface Windows {
        /** Size of the tumbling windows. */
        @WithDefault("1m")
        Duration size();

        /** How long after its end a window still accepts late events before it is emitted. */
        @WithDefault("10s")
        Duration grace();

        /**
         * How often each input task hands its partial windows on to be merged per scope: the lower, the sooner a
         * closed window is emitted; the higher, the fewer records the repartition by scope carries.
         */
        @WithDefault("200ms")
        Duration flushInterval();

        /**
         * How long an input partition may go without a record before it stops holding windows open: a window closes
         * when every input partition has progressed past its end plus the grace period, or has been idle this long
         * (on the wall clock). A partition whose instance is down is not idle: its windows wait for it. After a restart
         * or a rebalance, until it reads a record, a partition counts as idle only after three times this long, so that
         * a backlog not yet fetched is waited for.
         */
        @WithDefault("10s")
        Duration idleTimeout();

        /**
         * How often the broker is asked whether it is reachable (an admin {@code describeCluster}, answered within
         * this long): idle time counts only between answers at most three of these apart, so a broker outage is never
         * idle time. Also how late, at most, idle time is counted.
         */
        @WithDefault("1s")
        Duration brokerProbeInterval();

        /** Hopping windows for "for N minutes" rules. */
        Hopping hopping();

        /** How long closed windows stay queryable in the state stores (health report). */
        @WithDefault("6h")
        Duration retention();
    }

    interface Hopping {
        /** Whether hopping windows are computed and emitted besides the tumbling ones. */
        @WithDefault("true")
        boolean enabled();

        /** Size of a hopping window. */
        @WithDefault("5m")
        Duration size();

        /** How far consecutive hopping windows are apart. */
        @WithDefault("1m")
        Duration advance();
    }

    interface Dedup {
        /** An event id seen again within this horizon (event time) is counted once. */
        @WithDefault("24h")
        Duration horizon();
    }

    interface Validation {
        /** Events whose time is further ahead of the broker's record time than this are rejected. */
        @WithDefault(TelemetryLimits.MAX_CLOCK_SKEW_MINUTES + "m")
        Duration maxClockSkew();

        /** Events older than this (the telemetry topics' retention) are rejected. */
        @WithDefault(TelemetryLimits.MAX_AGE_DAYS + "d")
        Duration maxAge();

        /** Longest accepted id (event, client, user, session id, flag key, table, version). */
        @WithDefault("" + TelemetryLimits.MAX_ID_LENGTH)
        int maxIdLength();

        /** Longest accepted error message. */
        @WithDefault("" + TelemetryLimits.MAX_ERROR_MESSAGE_LENGTH)
        int maxMessageLength();

        /** Most flag exposures accepted on one event. */
        @WithDefault("" + TelemetryLimits.MAX_EXPOSURES)
        int maxExposures();
    }

    interface Flags {
        /** Versions kept per flag to assign events to the cohort of the version in force at their time. */
        @WithDefault("32")
        int historyVersions();
    }

    interface Sketch {
        /** Relative accuracy of the DDSketch duration percentiles (0.01 = within 1 % of the true value). */
        @WithDefault("0.01")
        double relativeAccuracy();

        /** Distinct clients are counted exactly up to this many per window, then estimated (K minimum values). */
        @WithDefault("1024")
        int distinctExactUpTo();

        /** Error codes kept per window with their counts. */
        @WithDefault("20")
        int errorCodes();

        /** Most recent errors kept per window for the health report. */
        @WithDefault("10")
        int recentErrors();
    }

    interface Intake {
        /** Most events accepted in one batch. */
        @WithDefault("1000")
        int maxBatchEvents();

        /** Largest accepted request body in bytes; larger bodies get 413. */
        @WithDefault("1048576")
        int maxBodyBytes();

        /** How long to wait for the broker to acknowledge a batch before answering 503. */
        @WithDefault("30s")
        Duration ackTimeout();

        /**
         * A batch's {@code sentAt} moves its events' times only when the device clock is off by more than this, so
         * that network latency and small drift leave the times of a clock that is right as they are.
         */
        @WithDefault("2s")
        Duration clockCorrectionThreshold();
    }

    interface Auth {
        /** Token that may post telemetry (ROLLGUARD_PRODUCER_TOKEN); unset refuses every post. */
        Optional<String> producerToken();

        /** Token that may read reports and also post (ROLLGUARD_ADMIN_TOKEN); unset refuses every read. */
        Optional<String> adminToken();
    }

    interface Report {
        /** Time range of a report when the request gives none. */
        @WithDefault("1h")
        Duration defaultRange();

        /** Widest time range a report may cover. */
        @WithDefault("7d")
        Duration maxRange();
    }

    interface EvaluationKeys {
        /** Whether events without exposures are checked against the keys the flag-service evaluated. */
        @WithDefault("true")
        boolean enabled();

        /**
         * How far back an evaluation counts: digests of slices that ended longer ago are dropped, and events older
         * than this are not checked. An app that keeps an evaluation longer than this looks as if it never made it.
         */
        @WithDefault("1h")
        Duration lookback();

        /** The sliding span the share of events whose key was never evaluated is measured over, per flag. */
        @WithDefault("10m")
        Duration span();

        /**
         * How long an event whose key is in no digest yet waits for newer digests before it counts as never
         * evaluated: longer than the flag-service's publish interval (15 s) plus the broker's delay.
         */
        @WithDefault("1m")
        Duration settle();

        /**
         * How long the flag-service must have recorded a flag's keys before its events are checked: the clients'
         * evaluations from before the flag went under rollout are in no digest.
         */
        @WithDefault("5m")
        Duration warmup();

        /** Events checked within the span before a flag may be warned about. */
        @WithDefault("200")
        int minEvents();

        /** Share of the checked events whose key was never evaluated at or above which the flag is warned about. */
        @WithDefault("0.5")
        double unseenShare();

        /** Events per flag that may wait to settle at once; beyond it, events are not checked. */
        @WithDefault("1000")
        int maxPending();
    }
}
