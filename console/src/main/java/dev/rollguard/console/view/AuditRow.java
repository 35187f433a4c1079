package dev.rollguard.console.view;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** One audit row with the fields that changed between its before and after documents. */
public record AuditRow(
        long id,
        String flagKey,
        String action,
        String actor,
        String tokenName,
        String reason,
        String idempotencyKey,
        Instant at,
        List<Change> changes) {

    /** One field: its value before and after the change ("" where absent). */
    public record Change(String field, String before, String after) {}

    /** Bookkeeping fields that change with every write and would hide the change that matters. */
    private static final Set<String> NOISE = Set.of("version", "updatedAt", "updatedBy", "createdAt");

    public static AuditRow of(JsonNode n) {
        return new AuditRow(
                n.path("id").asLong(),
                Json.text(n, "flagKey"),
                Json.text(n, "action"),
                Json.text(n, "actor"),
                Json.text(n, "tokenName"),
                Json.text(n, "reason"),
                Json.text(n, "idempotencyKey"),
                Json.instant(n, "at"),
                diff(n.get("before"), n.get("after")));
    }

    static List<Change> diff(JsonNode before, JsonNode after) {
        Set<String> fields = new LinkedHashSet<>();
        collect(before, fields);
        collect(after, fields);
        List<Change> changes = new ArrayList<>();
        for (String field : fields) {
            if (NOISE.contains(field)) {
                continue;
            }
            JsonNode b = before == null ? null : before.get(field);
            JsonNode a = after == null ? null : after.get(field);
            if (!same(b, a)) {
                changes.add(new Change(field, show(b), show(a)));
            }
        }
        return changes;
    }

    private static void collect(JsonNode node, Set<String> fields) {
        if (node != null && node.isObject()) {
            for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
                fields.add(it.next());
            }
        }
    }

    private static boolean same(JsonNode a, JsonNode b) {
        boolean aEmpty = a == null || a.isNull();
        boolean bEmpty = b == null || b.isNull();
        return aEmpty ? bEmpty : !bEmpty && a.equals(b);
    }

    private static String show(JsonNode node) {
        if (node == null || node.isNull()) {
            return "";
        }
        return node.isValueNode() ? node.asText() : node.toString();
    }
}
