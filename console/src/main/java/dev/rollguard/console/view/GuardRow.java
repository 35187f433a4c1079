package dev.rollguard.console.view;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.console.client.ApiResult;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A row of the guard's overview: a verdict and, when it is not about the flag as it is now, why
 * ({@link GuardVerdict#staleness}, the same reading as the flag's page).
 */
public record GuardRow(GuardVerdict verdict, String stale) {

    /**
     * The overview's rows: the verdicts on flags as they are now worst first, then those of an earlier stage or of a
     * killed, aborted, archived or not-rolling-out flag, greyed. {@code flags} is the flag-service's list (with
     * archived flags); when it could not be read, no verdict can be called current.
     */
    public static List<GuardRow> of(List<GuardVerdict> verdicts, ApiResult flags) {
        Map<String, JsonNode> byKey = new HashMap<>();
        if (flags.ok() && flags.body().isArray()) {
            flags.body().forEach(f -> byKey.put(f.path("key").asText(), f));
        }
        List<GuardRow> rows = new ArrayList<>();
        verdicts.forEach(v -> rows.add(new GuardRow(v, v.staleness(byKey.get(v.flagKey())))));
        // A stable sort: each part keeps the alert-service's worst-first order.
        rows.sort(Comparator.comparing(GuardRow::current).reversed());
        return rows;
    }

    public boolean current() {
        return stale == null;
    }

    /** The badge: the verdict's status, or what a stale verdict is ("LAST VERDICT: HEALTHY"). */
    public String label() {
        return stale == null ? verdict.statusLabel() : verdict.staleLabel(stale);
    }

    /** How many rows have each status, stale ones counted apart: {@code 1 regression, 2 healthy, 1 not current}. */
    public static String tally(List<GuardRow> rows) {
        Map<String, Long> counts = new LinkedHashMap<>();
        rows.forEach(r -> counts.merge(
                r.current() ? r.verdict().statusLabel().toLowerCase(Locale.ROOT) : "not current", 1L, Long::sum));
        List<String> parts = new ArrayList<>();
        counts.forEach((status, n) -> parts.add(n + " " + status));
        return String.join(", ", parts);
    }
}
