package dev.rollguard.ingest.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** Configuration of metrics-ingest. */
@ConfigMapping(prefix = "metrics-ingest")
public interface IngestConfig {

    /** Tumbling and hopping windows over event time. */
    Windows windows();

    interface Windows {
        /** Size of the tumbling windows. */
        @WithDefault("1m")
        Duration size();

        /** How long after its end a window still accepts late events before it is emitted. */
        @WithDefault("10s")
        Duration grace();
    }
}
