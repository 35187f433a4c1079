package dev.rollguard.infra;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The scrape check every service's exposition test relies on, against the real promtool. */
class PromtoolTest {

    @Test
    void aConventionalScrapePasses() {
        String scrape =
                """
                # HELP rollguard_ingest_events_total Events read.
                # TYPE rollguard_ingest_events_total counter
                rollguard_ingest_events_total{outcome="counted"} 3.0
                # HELP kafka_consumer_io_time_ns_total The total time the I/O thread spent doing I/O.
                # TYPE kafka_consumer_io_time_ns_total counter
                kafka_consumer_io_time_ns_total 12.0
                """;

        assertThatCode(() -> Promtool.assertCleanScrape(scrape)).doesNotThrowAnyException();
    }

    @Test
    void aFindingOfOurOwnFails() {
        String scrape =
                """
                # HELP rollguard_sync_ms_total Milliseconds synced.
                # TYPE rollguard_sync_ms_total counter
                rollguard_sync_ms_total 3.0
                """;

        assertThatThrownBy(() -> Promtool.assertCleanScrape(scrape))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("rollguard_sync_ms_total");
    }

    @Test
    void anUnreadableScrapeFails() {
        assertThatThrownBy(() -> Promtool.assertCleanScrape("rollguard_x{label=\"a\\q\"} 1\n"))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("could not read");
    }
}
