package dev.rollguard.client;

import dev.openfeature.sdk.EvaluationContext;
import dev.openfeature.sdk.FlagEvaluationDetails;
import dev.openfeature.sdk.Hook;
import dev.openfeature.sdk.HookContext;
import dev.openfeature.sdk.ImmutableMetadata;
import java.util.Map;

/**
 * An OpenFeature hook that records every flag evaluation's variant for its targeting key in {@link Exposures}:
 * register it once ({@code OpenFeatureAPI.getInstance().addHooks(new ExposureHook(exposures))}) and the {@link
 * TelemetryClient} attaches what each user was served to that user's events. The flag's version comes from the
 * flag metadata's {@code version} (Rollguard's OFREP endpoint sends it). An evaluation that failed or fell back to
 * the default value served no variant: the subject's earlier exposure to that flag is forgotten. So is it when the
 * evaluation is one metrics-ingest would refuse an event for (a flag of another provider, whose key no Rollguard flag
 * can have, e.g. {@code new_checkout}; an over-long variant): nothing is recorded for it ({@link Exposures#record}).
 */
public final class ExposureHook implements Hook<Object> {

    private final Exposures exposures;

    public ExposureHook(Exposures exposures) {
        this.exposures = exposures;
    }

    @Override
    public void after(HookContext<Object> context, FlagEvaluationDetails<Object> details, Map<String, Object> hints) {
        String subject = targetingKey(context);
        if (details.getErrorCode() != null || details.getVariant() == null) {
            exposures.forget(subject, context.getFlagKey());
            return;
        }
        exposures.record(subject, context.getFlagKey(), details.getVariant(), version(details.getFlagMetadata()));
    }

    @Override
    public void error(HookContext<Object> context, Exception error, Map<String, Object> hints) {
        exposures.forget(targetingKey(context), context.getFlagKey());
    }

    private static String targetingKey(HookContext<Object> context) {
        EvaluationContext evaluation = context.getCtx();
        return evaluation == null ? null : evaluation.getTargetingKey();
    }

    private static Long version(ImmutableMetadata metadata) {
        if (metadata == null) {
            return null;
        }
        Object version = metadata.asUnmodifiableMap().get("version");
        return version instanceof Number n ? n.longValue() : null;
    }
}
