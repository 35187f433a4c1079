package dev.rollguard.console.rest;

import dev.rollguard.console.session.OperatorSession;
import dev.rollguard.console.view.AlertRow;
import dev.rollguard.console.view.AuditRow;
import dev.rollguard.console.view.FlagView;
import dev.rollguard.console.view.GuardRow;
import dev.rollguard.console.view.GuardVerdict;
import dev.rollguard.console.view.PreviewAnswer;
import dev.rollguard.console.view.RollbackRow;
import dev.rollguard.console.view.RolloutSection;
import dev.rollguard.console.view.RolloutStep;
import dev.rollguard.console.view.RuleView;
import dev.rollguard.console.view.SegmentView;
import dev.rollguard.console.view.SilenceRow;
import io.quarkus.qute.CheckedTemplate;
import io.quarkus.qute.TemplateInstance;
import java.util.List;

/** The pages, type-checked against their templates in {@code templates/pages} at build time. */
@CheckedTemplate(basePath = "pages")
public final class Pages {

    private Pages() {}

    /** The state of the environment-wide kill switch, as the flags page shows it. */
    public record GlobalSwitch(boolean killed, String reason, String updatedBy) {}

    public static native TemplateInstance login(String error, String operator);

    public static native TemplateInstance flags(
            OperatorSession s, List<FlagView> flags, String q, GlobalSwitch global, String globalError, String error);

    public static native TemplateInstance flagForm(OperatorSession s, FlagForm form, boolean creating, String error);

    public static native TemplateInstance confirm(
            OperatorSession s, Confirmation c, String reason, String error, Attempt attempt, String reasonError);

    public static native TemplateInstance flag(
            OperatorSession s,
            FlagView flag,
            List<AuditRow> audit,
            String auditOlder,
            boolean auditPaged,
            List<AlertRow> alerts,
            String alertsError,
            List<RollbackRow> rollbacks,
            String rollbacksError,
            RolloutSection rollout,
            List<RolloutStep> steps,
            String stepsError,
            GuardVerdict guard,
            String guardStale,
            String guardError,
            PreviewForm preview,
            String notice,
            String auditError);

    public static native TemplateInstance ruleForm(
            OperatorSession s,
            FlagView flag,
            RuleForm form,
            List<String> variants,
            List<SegmentView> segments,
            String segmentsError,
            PreviewForm preview,
            PreviewAnswer answer,
            String error);

    public static native TemplateInstance ruleRemove(OperatorSession s, FlagView flag, RuleView rule, String error);

    public static native TemplateInstance weights(
            OperatorSession s,
            FlagView flag,
            WeightsForm form,
            PreviewForm preview,
            PreviewAnswer answer,
            String error);

    /** The preview's answer for the weights editor's script, with each weight's problem swapped in next to it. */
    public static native TemplateInstance weightsPreview(WeightsForm form, PreviewAnswer answer);

    public static native TemplateInstance preview(
            OperatorSession s, FlagView flag, List<RuleView> rules, PreviewForm form, PreviewAnswer answer);

    public static native TemplateInstance previewResult(PreviewAnswer answer);

    public static native TemplateInstance segments(
            OperatorSession s, List<SegmentView> segments, String notice, String error);

    public static native TemplateInstance segmentForm(
            OperatorSession s, SegmentForm form, boolean creating, String error);

    public static native TemplateInstance segmentDelete(
            OperatorSession s, SegmentView segment, String error, List<String> usedBy, String reason);

    public static native TemplateInstance rolloutSection(OperatorSession s, RolloutSection r);

    public static native TemplateInstance rolloutSteps(String flagKey, List<RolloutStep> steps, String error);

    public static native TemplateInstance guardSection(
            String flagKey, GuardVerdict verdict, String stale, String error);

    public static native TemplateInstance guard(OperatorSession s, List<GuardRow> rows, String tally, String error);

    public static native TemplateInstance alerts(
            OperatorSession s,
            List<AlertRow> active,
            List<AlertRow> recent,
            String activeError,
            String recentError,
            String older,
            boolean paged);

    public static native TemplateInstance alertRow(AlertRow a);

    public static native TemplateInstance rollbacks(
            OperatorSession s, List<RollbackRow> rollbacks, String flag, String error, String older, String newest);

    public static native TemplateInstance rollbackRow(RollbackRow r);

    public static native TemplateInstance rollback(OperatorSession s, RollbackRow r, String error);

    public static native TemplateInstance healthReport(
            OperatorSession s, String flag, String cohort, String report, String error);

    public static native TemplateInstance silences(
            OperatorSession s,
            List<SilenceRow> current,
            List<SilenceRow> ended,
            SilenceForm form,
            String notice,
            String error,
            String readError);

    public static native TemplateInstance error(OperatorSession s, String title, String error);
}
