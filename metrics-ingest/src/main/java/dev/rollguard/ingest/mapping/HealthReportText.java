package dev.rollguard.ingest.mapping;

import dev.rollguard.ingest.domain.HealthReport;
import java.util.Locale;

/** The boxed text form of the health report, as the replication monitor of the seed printed it. */
public final class HealthReportText {

    private static final int WIDTH = 60;

    private HealthReportText() {}

    public static String render(HealthReport r) {
        StringBuilder out = new StringBuilder();
        out.append('╔').append("═".repeat(WIDTH)).append("╗\n");
        centered(out, "REPLICATION SYSTEM HEALTH REPORT");
        out.append('╠').append("═".repeat(WIDTH)).append("╣\n");
        line(out, " Scope:             " + r.scope());
        line(out, " From:              " + r.from());
        line(out, " To:                " + r.to());
        line(out, "");
        line(out, " Sync Metrics:");
        line(out, "   Total Syncs:      " + r.totalSyncs());
        line(out, "   Successful:       " + r.successfulSyncs());
        line(out, "   Failed:           " + r.failedSyncs());
        line(out, "   Success Rate:     " + pct(r.successRate()));
        line(out, "");
        line(out, " Performance:");
        line(out, "   Avg Duration:     " + ms(r.avgDurationMs()));
        line(out, "   Max Duration:     " + ms(r.maxDurationMs()));
        line(out, "   Min Duration:     " + ms(r.minDurationMs()));
        line(out, "");
        line(out, " Storage:");
        line(out, "   Used:             " + mb(r.storageUsedMB()));
        line(out, "   Quota:            " + mb(r.storageQuotaMB()));
        line(out, "   Usage:            " + pct(r.storageUsagePercent()));
        line(out, "");
        line(out, " Mutations:");
        line(out, "   Pending:          " + count(r.pendingMutations()));
        line(out, "   Failed:           " + count(r.failedMutations()));
        line(out, "");
        line(out, " Recent Errors:      " + r.recentErrors().size());
        for (HealthReport.Error e : r.recentErrors()) {
            String table = e.tableName() == null ? "-" : e.tableName();
            line(out, "   " + e.timestamp() + " " + table + " " + e.code());
        }
        out.append('╚').append("═".repeat(WIDTH)).append("╝\n");
        return out.toString();
    }

    private static void centered(StringBuilder out, String text) {
        int left = (WIDTH - text.length()) / 2;
        line(out, " ".repeat(left) + text);
    }

    private static void line(StringBuilder out, String text) {
        String cell = text.length() > WIDTH ? text.substring(0, WIDTH - 1) + "…" : text;
        out.append('║').append(cell).append(" ".repeat(WIDTH - cell.length())).append("║\n");
    }

    private static String pct(Double value) {
        return value == null ? "n/a" : String.format(Locale.ROOT, "%.2f%%", value);
    }

    private static String ms(Double value) {
        return value == null ? "n/a" : String.format(Locale.ROOT, "%.0fms", value);
    }

    private static String mb(Double value) {
        return value == null ? "n/a" : String.format(Locale.ROOT, "%.2f MB", value);
    }

    private static String count(Long value) {
        return value == null ? "0" : value.toString();
    }
}
