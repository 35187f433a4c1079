package dev.rollguard.ingest.mapping;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.ingest.domain.HealthReport;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class HealthReportTextTest {

    @Test
    void rendersTheSeedsBoxWithEveryLineOfEqualWidth() {
        Instant t = Instant.parse("2026-03-01T00:00:00Z");
        HealthReport report = new HealthReport(
                "global",
                List.of("global"),
                t,
                t.plusSeconds(3600),
                3,
                150,
                148,
                2,
                98.6666,
                2340.0,
                5200.0,
                890.0,
                2000.0,
                5000.0,
                5200.0,
                0,
                0,
                0,
                40,
                12.45,
                256.0,
                4.86,
                0L,
                0L,
                0,
                List.of(),
                List.of(new HealthReport.Error(t, "entries", "TIMEOUT", "timed out")));
        String text = HealthReportText.render(report);
        List<String> lines = text.lines().toList();
        assertThat(lines)
                .allSatisfy(l -> assertThat(l.codePointCount(0, l.length())).isEqualTo(62));
        assertThat(lines.get(0)).startsWith("╔").endsWith("╗");
        assertThat(lines.get(lines.size() - 1)).startsWith("╚").endsWith("╝");
        assertThat(text)
                .contains("║   Total Syncs:      150")
                .contains("║   Success Rate:     98.67%")
                .contains("║   Avg Duration:     2340ms")
                .contains("║   Used:             12.45 MB")
                .contains("║   Quota:            256.00 MB")
                .contains("║   Usage:            4.86%")
                .contains("║ Recent Errors:      1")
                .contains("entries TIMEOUT");
    }
}
