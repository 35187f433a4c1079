package dev.rollguard.rollback.repository;

import dev.rollguard.rollback.domain.ActionState;
import dev.rollguard.rollback.domain.Evidence;
import dev.rollguard.rollback.domain.Evidence.Comparison;
import dev.rollguard.rollback.domain.RollbackRecord;
import dev.rollguard.rollback.domain.Timings;
import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.GuardAction;
import dev.rollguard.schemas.event.RollbackOutcome;
import dev.rollguard.schemas.event.ScopeType;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.StreamSupport;

/** The guard's actions in PostgreSQL (table rollback_action), through the reactive client. */
@ApplicationScoped
public class RollbackRepository {

    private static final List<String> COLUMNS = List.of(
            "id",
            "state",
            "flag_key",
            "action",
            "outcome",
            "reason",
            "dry_run",
            "alert_id",
            "alert_fingerprint",
            "rule_id",
            "rule_name",
            "metric",
            "comparator",
            "threshold",
            "observed_value",
            "sample_size",
            "scope_type",
            "scope_key",
            "cohort",
            "cmp_treatment_value",
            "cmp_control_value",
            "cmp_treatment_samples",
            "cmp_control_samples",
            "cmp_p_value",
            "cmp_method",
            "cmp_treatment_clients",
            "cmp_control_clients",
            "cmp_relative_effect",
            "cmp_effect_lower",
            "cmp_effect_upper",
            "cmp_confidence",
            "cmp_evidence",
            "cmp_summary",
            "cmp_stage_version",
            "window_start",
            "window_end",
            "flag_version_before",
            "flag_version_after",
            "first_breach_at",
            "window_closed_at",
            "alert_fired_at",
            "alert_received_at",
            "flag_changed_at",
            "visible_at",
            "published",
            "created_at",
            "request_id",
            "trace_id",
            "recheck_at",
            "alert",
            "request_format");

    private static final String INSERT = "insert into rollback_action (" + String.join(", ", COLUMNS) + ") values ("
            + IntStream.rangeClosed(1, COLUMNS.size()).mapToObj(i -> "$" + i).collect(Collectors.joining(", "))
            + ") on conflict (id) do nothing";

    /**
     * How this release sends a stored action to the flag-service (migration V8): the action's endpoint with its
     * reason, and a REVERT_STAGE tied to the stage its alert judged when the alert named one. A release that sends a
     * stored action in another way stores a higher number.
     */
    public static final int REQUEST_FORMAT = 1;

    private final Pool pool;

    public RollbackRepository(Pool pool) {
        this.pool = pool;
    }

    /** The action stored under this idempotency key; a null item when there is none. */
    public Uni<RollbackRecord> findById(String id) {
        return pool.preparedQuery("select * from rollback_action where id = $1")
                .execute(Tuple.of(id))
                .map(rows -> rows.size() == 0 ? null : toRecord(rows.iterator().next()));
    }

    /**
     * How the action stored under this id is sent to the flag-service ({@link #REQUEST_FORMAT} for this release's own,
     * and for those stored before the format was kept); a null item when there is no such action.
     */
    public Uni<Integer> requestFormat(String id) {
        return pool.preparedQuery("select request_format from rollback_action where id = $1")
                .execute(Tuple.of(id))
                .map(rows -> {
                    if (rows.size() == 0) {
                        return null;
                    }
                    Integer format = rows.iterator().next().getInteger("request_format");
                    return format == null ? REQUEST_FORMAT : format;
                });
    }

    /**
     * Stores a new action; false when one with the same id already exists (the first one stays).
     *
     * @param recheck for an action skipped for the cooldown, when and on what to decide again; null for every other
     */
    public Uni<Boolean> insert(RollbackRecord record, Recheck recheck) {
        return pool.preparedQuery(INSERT).execute(toTuple(record, recheck)).map(rows -> rows.rowCount() == 1);
    }

    /**
     * When an action skipped for the cooldown is decided on again, and the alert to decide on.
     *
     * @param at when the cooldown ends
     * @param alert the alert as read (Avro)
     */
    public record Recheck(Instant at, byte[] alert) {}

    /** Actions whose recheck is due at {@code now}, oldest first: their ids and the alerts as read. */
    public Uni<List<DueRecheck>> dueRechecks(Instant now, int limit) {
        return pool.preparedQuery("select id, alert from rollback_action where recheck_at <= $1"
                        + " order by recheck_at, id limit $2")
                .execute(Tuple.of(odt(now), limit))
                .map(rows -> StreamSupport.stream(rows.spliterator(), false)
                        .map(row -> new DueRecheck(
                                row.getString("id"), row.getBuffer("alert").getBytes()))
                        .toList());
    }

    /** The recheck of this action is done: it is not due again. */
    public Uni<Void> clearRecheck(String id) {
        return pool.preparedQuery("update rollback_action set recheck_at = null, alert = null where id = $1")
                .execute(Tuple.of(id))
                .replaceWithVoid();
    }

    /**
     * An action skipped for the cooldown whose recheck is due.
     *
     * @param id the skipped action's id
     * @param alert the alert it was decided on, as read (Avro)
     */
    public record DueRecheck(String id, byte[] alert) {}

    /**
     * Records the final outcome of a pending action; false when the action is no longer pending (another instance
     * recorded its outcome first, which stays as recorded) or is not stored.
     */
    public Uni<Boolean> complete(RollbackRecord record) {
        return pool.preparedQuery("update rollback_action set state = $2, outcome = $3, reason = $4,"
                        + " flag_version_after = $5, flag_changed_at = $6 where id = $1 and state = 'PENDING'")
                .execute(Tuple.from(Arrays.asList(
                        record.id(),
                        record.state().name(),
                        record.outcome().name(),
                        record.reason(),
                        record.flagVersionAfter(),
                        odt(record.timings().flagChangedAt()))))
                .map(rows -> rows.rowCount() == 1);
    }

    public Uni<Void> setVisibleAt(String id, Instant visibleAt) {
        return pool.preparedQuery("update rollback_action set visible_at = $2 where id = $1")
                .execute(Tuple.of(id, odt(visibleAt)))
                .replaceWithVoid();
    }

    public Uni<Void> markPublished(String id) {
        return pool.preparedQuery("update rollback_action set published = true where id = $1")
                .execute(Tuple.of(id))
                .replaceWithVoid();
    }

    /** When the guard last changed this flag (for the cooldown); a null item when never. */
    public Uni<Instant> lastAppliedAt(String flagKey) {
        return pool.preparedQuery("select max(flag_changed_at) as at from rollback_action"
                        + " where flag_key = $1 and outcome = 'APPLIED' and state = 'DONE'")
                .execute(Tuple.of(flagKey))
                .map(rows -> {
                    OffsetDateTime at = rows.iterator().next().getOffsetDateTime("at");
                    return at == null ? null : at.toInstant();
                });
    }

    /**
     * History in the order {@code created_at desc, id desc} (newest first; a total order, ids being unique), optionally
     * of one flag and one outcome, and optionally only the actions that come after the action {@code before} in that
     * order. An unknown {@code before} gives no rows: the caller checks it first. Served by the index on {@code
     * (created_at, id)} read backwards.
     */
    public Uni<List<RollbackRecord>> list(String flagKey, RollbackOutcome outcome, String before, int limit) {
        List<Object> params = new ArrayList<>();
        if (flagKey != null) {
            params.add(flagKey);
        }
        if (outcome != null) {
            params.add(outcome.name());
        }
        if (before != null) {
            params.add(before);
        }
        params.add(limit);
        String sql = listQuery(flagKey != null, outcome != null, before != null);
        return pool.preparedQuery(sql).execute(Tuple.from(params)).map(RollbackRepository::toRecords);
    }

    /** The query of {@link #list}; its parameters are, in this order, the flag, the outcome, the cursor, the limit. */
    static String listQuery(boolean byFlag, boolean byOutcome, boolean paged) {
        int param = 0;
        StringBuilder sql = new StringBuilder("select * from rollback_action where true");
        if (byFlag) {
            sql.append(" and flag_key = $").append(++param);
        }
        if (byOutcome) {
            sql.append(" and outcome = $").append(++param);
        }
        if (paged) {
            // The cursor's own stored values, so the comparison is exact to the microsecond PostgreSQL keeps.
            sql.append(" and (created_at, id) < (select c.created_at, c.id from rollback_action c where c.id = $")
                    .append(++param)
                    .append(")");
        }
        return sql.append(" order by created_at desc, id desc limit $")
                .append(++param)
                .toString();
    }

    private static List<RollbackRecord> toRecords(RowSet<Row> rows) {
        return StreamSupport.stream(rows.spliterator(), false)
                .map(RollbackRepository::toRecord)
                .toList();
    }

    private static Tuple toTuple(RollbackRecord r, Recheck recheck) {
        Evidence e = r.evidence();
        Comparison c = e.comparison();
        Timings t = r.timings();
        return Tuple.from(Arrays.asList(
                r.id(),
                r.state().name(),
                r.flagKey(),
                r.action().name(),
                r.outcome().name(),
                r.reason(),
                r.dryRun(),
                e.alertId(),
                e.fingerprint(),
                e.ruleId(),
                e.ruleName(),
                e.metric(),
                e.comparator(),
                e.threshold(),
                e.observedValue(),
                e.sampleSize(),
                e.scopeType() == null ? null : e.scopeType().name(),
                e.scopeKey(),
                e.cohort() == null ? null : e.cohort().name(),
                c == null ? null : c.treatmentValue(),
                c == null ? null : c.controlValue(),
                c == null ? null : c.treatmentSamples(),
                c == null ? null : c.controlSamples(),
                c == null ? null : c.pValue(),
                c == null ? null : c.method(),
                c == null ? null : c.treatmentClients(),
                c == null ? null : c.controlClients(),
                c == null ? null : c.relativeEffect(),
                c == null ? null : c.effectLower(),
                c == null ? null : c.effectUpper(),
                c == null ? null : c.confidence(),
                c == null ? null : c.evidence(),
                c == null ? null : c.summary(),
                c == null ? null : c.stageVersion(),
                odt(e.windowStart()),
                odt(e.windowEnd()),
                r.flagVersionBefore(),
                r.flagVersionAfter(),
                odt(t.firstBreachAt()),
                odt(t.windowClosedAt()),
                odt(t.alertFiredAt()),
                odt(t.alertReceivedAt()),
                odt(t.flagChangedAt()),
                odt(t.visibleAt()),
                r.published(),
                odt(r.createdAt()),
                e.requestId(),
                e.traceId(),
                recheck == null ? null : odt(recheck.at()),
                // Tuple.from binds the values as given: a bytea is the core client's Buffer, not Mutiny's wrapper.
                recheck == null ? null : Buffer.buffer(recheck.alert()),
                REQUEST_FORMAT));
    }

    private static RollbackRecord toRecord(Row row) {
        Comparison comparison = row.getString("cmp_method") == null
                ? null
                : new Comparison(
                        row.getDouble("cmp_treatment_value"),
                        row.getDouble("cmp_control_value"),
                        row.getLong("cmp_treatment_samples"),
                        row.getLong("cmp_control_samples"),
                        row.getDouble("cmp_p_value"),
                        row.getString("cmp_method"),
                        row.getLong("cmp_treatment_clients"),
                        row.getLong("cmp_control_clients"),
                        row.getDouble("cmp_relative_effect"),
                        row.getDouble("cmp_effect_lower"),
                        row.getDouble("cmp_effect_upper"),
                        row.getDouble("cmp_confidence"),
                        row.getDouble("cmp_evidence"),
                        row.getString("cmp_summary"),
                        row.getLong("cmp_stage_version"));
        String scopeType = row.getString("scope_type");
        String cohort = row.getString("cohort");
        ScopeType knownScopeType = known(ScopeType.class, scopeType);
        Cohort knownCohort = known(Cohort.class, cohort);
        Evidence evidence = new Evidence(
                row.getString("alert_id"),
                row.getString("alert_fingerprint"),
                row.getString("rule_id"),
                row.getString("rule_name"),
                row.getString("metric"),
                row.getString("comparator"),
                row.getDouble("threshold"),
                row.getDouble("observed_value"),
                row.getLong("sample_size"),
                knownScopeType,
                row.getString("scope_key"),
                knownCohort,
                comparison,
                instant(row, "window_start"),
                instant(row, "window_end"),
                row.getString("request_id"),
                row.getString("trace_id"));
        Timings timings = new Timings(
                instant(row, "first_breach_at"),
                instant(row, "window_closed_at"),
                instant(row, "alert_fired_at"),
                instant(row, "alert_received_at"),
                instant(row, "flag_changed_at"),
                instant(row, "visible_at"));
        String state = row.getString("state");
        String action = row.getString("action");
        String outcome = row.getString("outcome");
        ActionState knownState = known(ActionState.class, state);
        GuardAction knownAction = known(GuardAction.class, action);
        RollbackOutcome knownOutcome = known(RollbackOutcome.class, outcome);
        boolean allKnown = knownState != null
                && knownAction != null
                && knownOutcome != null
                && (scopeType == null || knownScopeType != null)
                && (cohort == null || knownCohort != null);
        return new RollbackRecord(
                row.getString("id"),
                knownState,
                row.getString("flag_key"),
                knownAction,
                knownOutcome,
                row.getString("reason"),
                row.getBoolean("dry_run"),
                evidence,
                row.getLong("flag_version_before"),
                row.getLong("flag_version_after"),
                timings,
                row.getBoolean("published"),
                instant(row, "created_at"),
                allKnown
                        ? null
                        : new RollbackRecord.Unrecognized(
                                knownState == null ? state : null,
                                knownAction == null ? action : null,
                                knownOutcome == null ? outcome : null,
                                knownScopeType == null ? scopeType : null,
                                knownCohort == null ? cohort : null));
    }

    /**
     * The constant of this name; null for a name this release does not know (a newer release stored it), and for no
     * name.
     */
    private static <E extends Enum<E>> E known(Class<E> type, String name) {
        for (E constant : type.getEnumConstants()) {
            if (constant.name().equals(name)) {
                return constant;
            }
        }
        return null;
    }

    private static Instant instant(Row row, String column) {
        OffsetDateTime value = row.getOffsetDateTime(column);
        return value == null ? null : value.toInstant();
    }

    private static OffsetDateTime odt(Instant instant) {
        return instant == null ? null : instant.atOffset(ZoneOffset.UTC);
    }
}
