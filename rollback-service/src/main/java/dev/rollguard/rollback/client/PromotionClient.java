package dev.rollguard.rollback.client;

import dev.rollguard.rollback.client.AlertServiceApi.AlertBody;
import dev.rollguard.rollback.client.AlertServiceApi.MetricBody;
import dev.rollguard.rollback.client.AlertServiceApi.VerdictBody;
import dev.rollguard.rollback.client.FlagServiceApi.ErrorBody;
import dev.rollguard.rollback.client.PromotionApi.MinimumsBody;
import dev.rollguard.rollback.client.PromotionApi.PlanBody;
import dev.rollguard.rollback.client.PromotionApi.PromoteRequest;
import dev.rollguard.rollback.client.PromotionApi.StageBody;
import dev.rollguard.rollback.config.GuardConfig;
import dev.rollguard.rollback.domain.GuardReading;
import dev.rollguard.rollback.domain.RolloutPlan;
import io.quarkus.rest.client.reactive.QuarkusRestClientBuilder;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.core.GenericType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What the promoter reads and the one change it makes: rollout plans and promote at the flag-service, the guard's
 * verdicts at the alert-service. Outages ({@link UpstreamUnavailableException}: the next round tries again) are told
 * apart from refusals ({@link FlagServiceRejectedException}: final), as in {@link FlagServiceClient}.
 */
@ApplicationScoped
public class PromotionClient {

    private final PromotionApi flags;
    private final AlertServiceApi alerts;
    private final String authorization;

    public PromotionClient(GuardConfig config) {
        this.flags = QuarkusRestClientBuilder.newBuilder()
                .baseUri(URI.create(config.flagService().url()))
                .connectTimeout(config.flagService().connectTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .readTimeout(config.flagService().readTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .disableDefaultMapper(true)
                .build(PromotionApi.class);
        this.alerts = AlertServiceApi.build(config);
        this.authorization = "Bearer " + config.tokens().service();
    }

    /** Every flag with its rollout plan, archived ones left out. */
    public Uni<List<RolloutPlan>> plans() {
        return transport(flags.list(authorization), "flag-service", "GET flags").map(response -> {
            ok(response, "GET flags");
            return response.readEntity(new GenericType<List<PlanBody>>() {}).stream()
                    .map(PromotionClient::toPlan)
                    .toList();
        });
    }

    /**
     * Promotes a flag to its next stage, on the evidence of the stage begun at {@code stageVersion}.
     *
     * @return the flag's version and commit time after the change
     */
    public Uni<Changed> promote(String key, String idempotencyKey, String reason, long stageVersion) {
        String cut = reason.length() <= FlagServiceClient.MAX_REASON
                ? reason
                : reason.substring(0, FlagServiceClient.MAX_REASON - 1) + "\u2026";
        String what = "PROMOTE " + key;
        return transport(
                        flags.promote(key, authorization, idempotencyKey, new PromoteRequest(cut, stageVersion)),
                        "flag-service",
                        what)
                .map(response -> {
                    ok(response, what);
                    PlanBody body = response.readEntity(PlanBody.class);
                    return new Changed(body.version(), parseInstant(body.updatedAt()));
                });
    }

    /** The flag's version and commit time after a change. */
    public record Changed(Long version, Instant at) {}

    /** The guard's latest verdict per flag key. */
    public Uni<Map<String, GuardReading>> verdicts() {
        return transport(alerts.verdicts(authorization), "alert-service", "GET guard verdicts")
                .map(response -> {
                    ok(response, "GET guard verdicts");
                    Map<String, GuardReading> byFlag = new HashMap<>();
                    for (VerdictBody body : response.readEntity(new GenericType<List<VerdictBody>>() {})) {
                        byFlag.put(body.flagKey(), toReading(body));
                    }
                    return byFlag;
                });
    }

    static RolloutPlan toPlan(PlanBody b) {
        List<RolloutPlan.Stage> stages = b.stages() == null
                ? List.of()
                : b.stages().stream().map(PromotionClient::toStage).toList();
        MinimumsBody m = b.onMinimumsNotMet();
        RolloutPlan.Minimums minimums = new RolloutPlan.Minimums(
                m == null || m.deadlineSeconds() == null ? 86_400 : m.deadlineSeconds(),
                m == null || m.extensionSeconds() == null ? 86_400 : m.extensionSeconds(),
                m != null && "revert".equalsIgnoreCase(m.then()));
        return new RolloutPlan(
                b.key(),
                b.enabled() == null || b.enabled(),
                Boolean.TRUE.equals(b.killed()),
                b.killReason(),
                Boolean.TRUE.equals(b.archived()),
                stages,
                b.currentStage(),
                parseInstant(b.stageEnteredAt()),
                b.stageVersion(),
                Boolean.TRUE.equals(b.paused()),
                b.pauseReason(),
                Boolean.TRUE.equals(b.aborted()),
                b.abortReason(),
                minimums,
                b.version() == null ? 0 : b.version());
    }

    private static RolloutPlan.Stage toStage(StageBody s) {
        return new RolloutPlan.Stage(
                s.name(),
                s.percentage() == null ? 0 : s.percentage(),
                s.minSoakSeconds() == null ? 0 : s.minSoakSeconds(),
                s.minClientsPerCohort() == null ? 0 : s.minClientsPerCohort(),
                s.promotion() != null && "auto".equals(s.promotion().toLowerCase(Locale.ROOT)),
                s.tolerancePercent());
    }

    static GuardReading toReading(VerdictBody b) {
        List<GuardReading.Metric> metrics = b.metrics() == null
                ? List.of()
                : b.metrics().stream().map(PromotionClient::toMetric).toList();
        List<GuardReading.ActiveAlert> active = b.alerts() == null
                ? List.of()
                : b.alerts().stream().map(PromotionClient::toAlert).toList();
        return new GuardReading(
                b.flagKey(),
                b.stageVersion(),
                b.status(),
                b.summary(),
                b.confidence(),
                parseInstant(b.judgedAt()),
                metrics,
                active);
    }

    private static GuardReading.Metric toMetric(MetricBody m) {
        return new GuardReading.Metric(
                m.metric(),
                m.status(),
                m.treated(),
                m.control(),
                m.relativeEffect(),
                m.effectLower(),
                m.effectUpper(),
                m.treatedClients() == null ? 0 : m.treatedClients(),
                m.controlClients() == null ? 0 : m.controlClients(),
                m.nonInferiorityP(),
                m.shownWithin());
    }

    private static GuardReading.ActiveAlert toAlert(AlertBody a) {
        return new GuardReading.ActiveAlert(
                a.ruleId(), a.ruleName(), a.scopeKey(), a.cohort(), a.severity(), a.phase());
    }

    private static Uni<Response> transport(Uni<Response> call, String service, String what) {
        return call.onFailure()
                .transform(e -> new UpstreamUnavailableException(
                        what + ": " + service + " unreachable (" + e.getClass().getSimpleName() + ": " + e.getMessage()
                                + ")",
                        e));
    }

    private static void ok(Response response, String what) {
        int status = response.getStatus();
        if (status >= 200 && status < 300) {
            return;
        }
        ErrorBody error = FlagServiceClient.readError(response);
        if (FlagServiceClient.passes(status)) {
            throw new UpstreamUnavailableException(
                    what + ": answered " + status + " " + error.code() + " " + error.message());
        }
        throw new FlagServiceRejectedException(status, error.code(), error.message());
    }

    private static Instant parseInstant(String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
