package dev.rollguard.rollback.repository;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rollguard.rollback.domain.RolloutStep;
import dev.rollguard.rollback.domain.StageHistory;
import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.StreamSupport;

/** The promoter's steps in PostgreSQL (table rollout_action), through the reactive client. */
@ApplicationScoped
public class RolloutRepository {

    private final Pool pool;
    private final ObjectMapper json;

    public RolloutRepository(Pool pool, ObjectMapper json) {
        this.pool = pool;
        this.json = json;
    }

    /** Stores a new step; false when one with the same id already exists (the first one stays). */
    public Uni<Boolean> insert(RolloutStep step) {
        return pool.preparedQuery("insert into rollout_action (id, state, flag_key, action, outcome, stage_version,"
                        + " step, published, created_at) values ($1, $2, $3, $4, $5, $6, $7, false, now())"
                        + " on conflict (id) do nothing")
                .execute(Tuple.from(List.of(
                        step.id(),
                        step.state().name(),
                        step.flagKey(),
                        step.action().name(),
                        step.outcome().name(),
                        step.stageVersion(),
                        toJson(step))))
                .map(rows -> rows.rowCount() == 1);
    }

    /** The step stored under this id; a null item when there is none. */
    public Uni<RolloutStep> find(String id) {
        return pool.preparedQuery("select step, published from rollout_action where id = $1")
                .execute(Tuple.of(id))
                .map(rows -> rows.size() == 0 ? null : toStep(rows.iterator().next()));
    }

    /** Records the outcome of a pending step. */
    public Uni<Void> complete(RolloutStep step) {
        return pool.preparedQuery("update rollout_action set state = $2, outcome = $3, step = $4 where id = $1")
                .execute(Tuple.of(step.id(), step.state().name(), step.outcome().name(), toJson(step)))
                .replaceWithVoid();
    }

    /** Forgets a pending step that was not taken after all (the flag-service asked to wait). */
    public Uni<Void> delete(String id) {
        return pool.preparedQuery("delete from rollout_action where id = $1 and state = 'PENDING'")
                .execute(Tuple.of(id))
                .replaceWithVoid();
    }

    public Uni<Void> markPublished(String id) {
        return pool.preparedQuery("update rollout_action set published = true,"
                        + " step = jsonb_set(step, '{published}', 'true') where id = $1")
                .execute(Tuple.of(id))
                .replaceWithVoid();
    }

    /** The steps already taken in a stage that shape what the promoter may still do in it. */
    public Uni<StageHistory> stageHistory(String flagKey, long stageVersion) {
        return pool.preparedQuery("select action, outcome from rollout_action"
                        + " where flag_key = $1 and stage_version = $2 and state = 'DONE'")
                .execute(Tuple.of(flagKey, stageVersion))
                .map(rows -> {
                    boolean extended = false;
                    boolean stopped = false;
                    for (Row row : rows) {
                        String action = row.getString("action");
                        String outcome = row.getString("outcome");
                        boolean taken = "APPLIED".equals(outcome) || "DRY_RUN".equals(outcome);
                        extended |= "EXTEND".equals(action) && taken;
                        stopped |= ("HOLD".equals(action) || "REVERT".equals(action)) && taken;
                    }
                    return new StageHistory(extended, stopped);
                });
    }

    /**
     * Steps stored but not confirmed by the flag-service (an outage or a crash came between), oldest first: a later
     * round calls again with the same Idempotency-Key, which answers the first result instead of acting twice.
     */
    public Uni<List<RolloutStep>> pending() {
        return pool.preparedQuery("select step, published from rollout_action where state = 'PENDING'"
                        + " order by created_at limit 100")
                .execute()
                .map(this::toSteps);
    }

    /** Steps done but not yet acknowledged by the broker, oldest first. */
    public Uni<List<RolloutStep>> unpublished() {
        return pool.preparedQuery("select step, published from rollout_action where state = 'DONE' and not published"
                        + " order by created_at limit 100")
                .execute()
                .map(this::toSteps);
    }

    /** Steps newest first, optionally of one flag. */
    public Uni<List<RolloutStep>> list(String flagKey, int limit) {
        List<Object> params = new ArrayList<>();
        StringBuilder sql = new StringBuilder("select step, published from rollout_action where state = 'DONE'");
        if (flagKey != null) {
            params.add(flagKey);
            sql.append(" and flag_key = $").append(params.size());
        }
        params.add(limit);
        sql.append(" order by created_at desc, id limit $").append(params.size());
        return pool.preparedQuery(sql.toString()).execute(Tuple.from(params)).map(this::toSteps);
    }

    private List<RolloutStep> toSteps(RowSet<Row> rows) {
        return StreamSupport.stream(rows.spliterator(), false).map(this::toStep).toList();
    }

    private RolloutStep toStep(Row row) {
        Object stored = row.getValue("step");
        String text = stored instanceof JsonObject object ? object.encode() : String.valueOf(stored);
        try {
            return json.readValue(text, RolloutStep.class);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored rollout step is unreadable: " + e.getMessage(), e);
        }
    }

    private JsonObject toJson(RolloutStep step) {
        try {
            return new JsonObject(json.writeValueAsString(step));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("rollout step cannot be written: " + e.getMessage(), e);
        }
    }
}
