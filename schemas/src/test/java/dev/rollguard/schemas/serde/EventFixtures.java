package dev.rollguard.schemas.serde;

import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.event.AlertStatus;
import dev.rollguard.schemas.event.ClientMoment;
import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.CohortComparison;
import dev.rollguard.schemas.event.Constraint;
import dev.rollguard.schemas.event.ConstraintOperator;
import dev.rollguard.schemas.event.ErrorCount;
import dev.rollguard.schemas.event.EvaluatedKeysEvent;
import dev.rollguard.schemas.event.Exemplar;
import dev.rollguard.schemas.event.FlagChangeType;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.event.FlagExposure;
import dev.rollguard.schemas.event.FlagValueType;
import dev.rollguard.schemas.event.FlagVariant;
import dev.rollguard.schemas.event.GuardAction;
import dev.rollguard.schemas.event.GuardPolicy;
import dev.rollguard.schemas.event.MetricEvidence;
import dev.rollguard.schemas.event.Platform;
import dev.rollguard.schemas.event.RollbackActionEvent;
import dev.rollguard.schemas.event.RollbackOutcome;
import dev.rollguard.schemas.event.RolloutAction;
import dev.rollguard.schemas.event.RolloutActionEvent;
import dev.rollguard.schemas.event.RolloutOutcome;
import dev.rollguard.schemas.event.RolloutStage;
import dev.rollguard.schemas.event.ScopeType;
import dev.rollguard.schemas.event.Segment;
import dev.rollguard.schemas.event.Severity;
import dev.rollguard.schemas.event.SyncEvent;
import dev.rollguard.schemas.event.SyncKind;
import dev.rollguard.schemas.event.TargetingRule;
import dev.rollguard.schemas.event.UploadEvent;
import dev.rollguard.schemas.event.VariantWeight;
import dev.rollguard.schemas.event.WindowKind;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Named;

/**
 * One fully populated (every field set, none left to its default) and one minimally populated (only the fields
 * without a default) instance of each event type. Timestamps are whole milliseconds, the precision of the schemas.
 */
final class EventFixtures {

    /** Every event type published on a topic; each must have a released schema history. */
    static final List<Class<? extends SpecificRecord>> EVENT_CLASSES = List.of(
            SyncEvent.class,
            UploadEvent.class,
            FlagChangedEvent.class,
            WindowMetricsEvent.class,
            AlertEvent.class,
            RollbackActionEvent.class,
            RolloutActionEvent.class,
            EvaluatedKeysEvent.class);

    static final Instant T0 = Instant.parse("2025-03-14T09:26:53.589Z");

    private EventFixtures() {}

    static Stream<Named<SpecificRecord>> fullyPopulated() {
        return Stream.of(
                        fullSync(),
                        fullUpload(),
                        fullFlagChanged(),
                        fullWindowMetrics(),
                        fullAlert(),
                        fullRollback(),
                        fullRollout(),
                        evaluatedKeys())
                .map(EventFixtures::named);
    }

    static Stream<Named<SpecificRecord>> minimallyPopulated() {
        return Stream.of(
                        minimalSync(),
                        minimalUpload(),
                        minimalFlagChanged(),
                        minimalWindowMetrics(),
                        minimalAlert(),
                        minimalRollback(),
                        minimalRollout(),
                        evaluatedKeys())
                .map(EventFixtures::named);
    }

    private static Named<SpecificRecord> named(SpecificRecord event) {
        return Named.of(event.getClass().getSimpleName(), event);
    }

    static FlagExposure exposure(String flagKey, String variant) {
        return FlagExposure.newBuilder()
                .setFlagKey(flagKey)
                .setVariant(variant)
                .setTreated(true)
                .setFlagVersion(7L)
                .build();
    }

    static SyncEvent fullSync() {
        return SyncEvent.newBuilder()
                .setEventId("sync-0001")
                .setEventTime(T0)
                .setClientId("client-42")
                .setUserId("user-1")
                .setSessionId("session-9")
                .setPlatform(Platform.ANDROID)
                .setAppVersion("5.2.1")
                .setExposures(List.of(exposure("offline-recording", "on"), exposure("new-sync-engine", "off")))
                .setSyncKind(SyncKind.INCREMENTAL)
                .setTable("entries")
                .setSuccess(false)
                .setDurationMs(1_234L)
                .setRecordsSynced(17L)
                .setErrorCode("QUOTA_EXCEEDED")
                .setErrorMessage("storage quota exceeded (éàü)")
                .setStorageUsedBytes(5_000_000_000L)
                .setStorageQuotaBytes(5_368_709_120L)
                .setPendingMutations(3)
                .setFailedMutations(1)
                .setSyncQueueLength(2)
                .setContext(Map.of("country", "FR", "accountType", "business"))
                .build();
    }

    static SyncEvent minimalSync() {
        return SyncEvent.newBuilder()
                .setEventId("sync-0002")
                .setEventTime(T0)
                .setClientId("client-42")
                .setSuccess(true)
                .setDurationMs(0L)
                .build();
    }

    static UploadEvent fullUpload() {
        return UploadEvent.newBuilder()
                .setEventId("upload-0001")
                .setEventTime(T0)
                .setClientId("client-42")
                .setUserId("user-1")
                .setSessionId("session-9")
                .setPlatform(Platform.IOS)
                .setAppVersion("5.2.1")
                .setExposures(List.of(exposure("offline-recording", "on")))
                .setTable("attachments")
                .setSuccess(false)
                .setDurationMs(9_876L)
                .setBytes(1_048_576L)
                .setQuotaExceeded(true)
                .setErrorCode("QUOTA_EXCEEDED")
                .setErrorMessage("quota exceeded")
                .setStorageUsedBytes(4_000L)
                .setStorageQuotaBytes(4_096L)
                .setPendingMutations(4)
                .setFailedMutations(2)
                .setSyncQueueLength(1)
                .setContext(Map.of("country", "DE"))
                .build();
    }

    static UploadEvent minimalUpload() {
        return UploadEvent.newBuilder()
                .setEventId("upload-0002")
                .setEventTime(T0)
                .setClientId("client-42")
                .setSuccess(true)
                .setDurationMs(10L)
                .build();
    }

    static FlagChangedEvent fullFlagChanged() {
        return FlagChangedEvent.newBuilder()
                .setEventId("outbox-17")
                .setFlagKey("offline-recording")
                .setVersion(12L)
                .setChangeType(FlagChangeType.KILLED)
                .setChangedAt(T0)
                .setActor("rollback-service")
                .setReason("upload failure rate above 5 %")
                .setArchived(true)
                .setEnabled(true)
                .setKilled(true)
                .setKillReason("guard policy KILL")
                .setParentKey("replication")
                .setValueType(FlagValueType.JSON)
                .setVariants(List.of(
                        FlagVariant.newBuilder()
                                .setName("on")
                                .setValueJson("{\"k\":1}")
                                .build(),
                        FlagVariant.newBuilder()
                                .setName("off")
                                .setValueJson("null")
                                .build()))
                .setTreatmentVariant("on")
                .setOffVariant("off")
                .setAllowList(List.of("admin@example.com"))
                .setDenyList(List.of("user-13"))
                .setRolloutBasisPoints(500)
                .setSegments(List.of(Segment.newBuilder()
                        .setKey("ios-beta")
                        .setConstraints(List.of(Constraint.newBuilder()
                                .setAttribute("platform")
                                .setOperator(ConstraintOperator.IN)
                                .setValues(List.of("IOS"))
                                .setNegate(true)
                                .setCaseInsensitive(true)
                                .build()))
                        .build()))
                .setRules(List.of(TargetingRule.newBuilder()
                        .setId("new-app")
                        .setDescription("app 4.2 and up on iOS")
                        .setSegments(List.of("ios-beta"))
                        .setConstraints(List.of(Constraint.newBuilder()
                                .setAttribute("appVersion")
                                .setOperator(ConstraintOperator.SEMVER_GTE)
                                .setValues(List.of("4.2.0"))
                                .build()))
                        .setVariant("on")
                        .setRolloutBasisPoints(2_500)
                        .build()))
                .setVariantWeights(List.of(
                        VariantWeight.newBuilder()
                                .setVariant("on")
                                .setWeight(6_000)
                                .build(),
                        VariantWeight.newBuilder()
                                .setVariant("blue")
                                .setWeight(4_000)
                                .build()))
                .setStages(List.of(
                        RolloutStage.newBuilder()
                                .setName("internal")
                                .setBasisPoints(0)
                                .setMinSoakSeconds(3_600L)
                                .build(),
                        RolloutStage.newBuilder()
                                .setName("5%")
                                .setBasisPoints(500)
                                .setMinSoakSeconds(86_400L)
                                .build()))
                .setCurrentStage(1)
                .setPaused(true)
                .setGuardPolicy(GuardPolicy.newBuilder()
                        .setAction(GuardAction.KILL)
                        .setDryRun(true)
                        .setCooldownSeconds(60L)
                        .build())
                .setRequestId("req-7f3a")
                .setTraceId(TRACE_ID)
                .build();
    }

    static FlagChangedEvent minimalFlagChanged() {
        return FlagChangedEvent.newBuilder()
                .setEventId("outbox-1")
                .setFlagKey("offline-recording")
                .setVersion(1L)
                .setChangeType(FlagChangeType.CREATED)
                .setChangedAt(T0)
                .setActor("alice")
                .setEnabled(false)
                .setValueType(FlagValueType.BOOLEAN)
                .setTreatmentVariant("on")
                .setOffVariant("off")
                .setGuardPolicy(GuardPolicy.newBuilder().build())
                .build();
    }

    static WindowMetricsEvent fullWindowMetrics() {
        return WindowMetricsEvent.newBuilder()
                .setScopeType(ScopeType.FLAG_COHORT)
                .setScopeKey("flag:offline-recording:treatment:blue")
                .setFlagKey("offline-recording")
                .setCohort(Cohort.TREATMENT)
                .setVariant("blue")
                .setComparesPopulations(true)
                .setTable("entries")
                .setPlatform(Platform.WEB)
                .setWindowKind(WindowKind.HOPPING)
                .setWindowStart(T0)
                .setWindowEnd(T0.plusSeconds(60))
                .setEmittedAt(T0.plusSeconds(65))
                .setFirstEventTime(T0.plusMillis(12))
                .setEventCount(1_000L)
                .setSuccessCount(950L)
                .setFailureCount(50L)
                .setSuccessRate(0.95)
                .setErrorRate(0.05)
                .setSyncCount(600L)
                .setSyncFailureCount(20L)
                .setSyncSuccessRate(0.9666)
                .setUploadCount(400L)
                .setUploadFailureCount(30L)
                .setUploadFailureRate(0.075)
                .setDurationMinMs(1.0)
                .setDurationAvgMs(120.5)
                .setDurationMaxMs(9_000.0)
                .setDurationP50Ms(100.0)
                .setDurationP95Ms(800.0)
                .setDurationP99Ms(4_000.0)
                .setDurationSketch(ByteBuffer.wrap("sketch".getBytes(StandardCharsets.UTF_8)))
                .setStorageUsedPctMax(99.5)
                .setStorageUsedPctAvg(42.0)
                .setPendingMutationsMax(12L)
                .setFailedMutationsMax(3L)
                .setQuotaExceededCount(8L)
                .setSyncQueueLengthMax(5L)
                .setDistinctClients(321L)
                .setUploadBytes(1_000_000L)
                .setUploadThroughputBytesPerSec(2_048.0)
                .setTopErrors(List.of(
                        ErrorCount.newBuilder()
                                .setCode("QUOTA_EXCEEDED")
                                .setCount(8L)
                                .setLastMessage("quota exceeded")
                                .build(),
                        ErrorCount.newBuilder().setCode("TIMEOUT").setCount(2L).build()))
                .setClientMoments(List.of(ClientMoment.newBuilder()
                        .setStageVersion(7L)
                        .setMetric("failure")
                        .setClients(40L)
                        .setSumY(12.0)
                        .setSumX(400.0)
                        .setSumYY(20.0)
                        .setSumXX(4_400.0)
                        .setSumXY(130.0)
                        .build()))
                .setExemplars(List.of(exemplar()))
                .build();
    }

    static WindowMetricsEvent minimalWindowMetrics() {
        return WindowMetricsEvent.newBuilder()
                .setScopeType(ScopeType.GLOBAL)
                .setScopeKey("global")
                .setWindowKind(WindowKind.TUMBLING)
                .setWindowStart(T0)
                .setWindowEnd(T0.plusSeconds(60))
                .setEmittedAt(T0.plusSeconds(61))
                .setEventCount(0L)
                .setSuccessCount(0L)
                .setFailureCount(0L)
                .build();
    }

    static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";

    static Exemplar exemplar() {
        return Exemplar.newBuilder()
                .setEventId("evt-1")
                .setEventTime(T0)
                .setRequestId("req-7f3a")
                .setTraceId(TRACE_ID)
                .build();
    }

    static CohortComparison comparison() {
        return CohortComparison.newBuilder()
                .setTreatmentValue(0.12)
                .setControlValue(0.02)
                .setTreatmentSamples(500L)
                .setControlSamples(9_500L)
                .setPValue(1e-9)
                .setMethod("two-proportion-z")
                .setTreatmentClients(50L)
                .setControlClients(950L)
                .setRelativeEffect(5.0)
                .setEffectLower(2.5)
                .setEffectUpper(9.0)
                .setConfidence(0.999)
                .setEvidence(3.2)
                .setSummary("failure rate 12 % vs 2.0 %, +500 %")
                .build();
    }

    static AlertEvent fullAlert() {
        return AlertEvent.newBuilder()
                .setAlertId("alert-1")
                .setFingerprint("f1ngerpr1nt")
                .setStatus(AlertStatus.RESOLVED)
                .setSeverity(Severity.CRITICAL)
                .setRuleId("rule-7")
                .setRuleName("upload failures")
                .setMetric("uploadFailureRate")
                .setComparator("WORSE_THAN_CONTROL")
                .setThreshold(0.05)
                .setObservedValue(0.12)
                .setSampleSize(500L)
                .setScopeType(ScopeType.FLAG_COHORT)
                .setScopeKey("flag:offline-recording:treatment:blue")
                .setFlagKey("offline-recording")
                .setCohort(Cohort.TREATMENT)
                .setVariant("blue")
                .setTable("attachments")
                .setPlatform(Platform.DESKTOP)
                .setWindowStart(T0)
                .setWindowEnd(T0.plusSeconds(60))
                .setFirstBreachAt(T0)
                .setFirstBreachEventTime(T0.plusMillis(3))
                .setWindowClosedAt(T0.plusSeconds(61))
                .setStartsAt(T0.plusSeconds(62))
                .setEndsAt(T0.plusSeconds(600))
                .setEmittedAt(T0.plusSeconds(601))
                .setComparison(comparison())
                .setLabels(Map.of("alertname", "upload failures", "severity", "critical"))
                .setAnnotations(Map.of("summary", "uploads fail 6x more with the flag on"))
                .setExemplars(List.of(exemplar()))
                .build();
    }

    static AlertEvent minimalAlert() {
        return AlertEvent.newBuilder()
                .setAlertId("alert-2")
                .setFingerprint("f2")
                .setStatus(AlertStatus.FIRING)
                .setSeverity(Severity.WARNING)
                .setRuleId("rule-1")
                .setRuleName("global error rate")
                .setMetric("errorRate")
                .setComparator("GT")
                .setThreshold(0.01)
                .setScopeType(ScopeType.GLOBAL)
                .setScopeKey("global")
                .setFirstBreachAt(T0)
                .setStartsAt(T0.plusSeconds(60))
                .setEmittedAt(T0.plusSeconds(60))
                .build();
    }

    static RollbackActionEvent fullRollback() {
        return RollbackActionEvent.newBuilder()
                .setActionId("action-1")
                .setFlagKey("offline-recording")
                .setAction(GuardAction.KILL)
                .setOutcome(RollbackOutcome.APPLIED)
                .setReason("critical alert upload failures")
                .setAlertId("alert-1")
                .setAlertFingerprint("f1ngerpr1nt")
                .setRuleId("rule-7")
                .setRuleName("upload failures")
                .setMetric("uploadFailureRate")
                .setObservedValue(0.12)
                .setThreshold(0.05)
                .setSampleSize(500L)
                .setComparison(comparison())
                .setFlagVersionBefore(11L)
                .setFlagVersionAfter(12L)
                .setFirstBreachAt(T0)
                .setWindowClosedAt(T0.plusSeconds(61))
                .setAlertFiredAt(T0.plusSeconds(62))
                .setAlertReceivedAt(T0.plusSeconds(63))
                .setFlagChangedAt(T0.plusSeconds(64))
                .setVisibleAt(T0.plusSeconds(65))
                .setRequestId("req-7f3a")
                .setTraceId(TRACE_ID)
                .setDryRun(true)
                .setComparator("WORSE_THAN_CONTROL")
                .setScopeType(ScopeType.FLAG_COHORT)
                .setScopeKey("flag:offline-recording")
                .setCohort(Cohort.TREATMENT)
                .setWindowStart(T0)
                .setWindowEnd(T0.plusSeconds(60))
                .build();
    }

    static RollbackActionEvent minimalRollback() {
        return RollbackActionEvent.newBuilder()
                .setActionId("action-2")
                .setAction(GuardAction.NOTIFY_ONLY)
                .setOutcome(RollbackOutcome.SKIPPED_NO_FLAG)
                .setReason("alert names no flag")
                .setAlertId("alert-2")
                .setAlertFingerprint("f2")
                .setRuleId("rule-1")
                .setRuleName("global error rate")
                .setMetric("errorRate")
                .setThreshold(0.01)
                .setAlertReceivedAt(T0)
                .build();
    }

    static RolloutActionEvent fullRollout() {
        return RolloutActionEvent.newBuilder()
                .setActionId("offline-recording:12:PROMOTE")
                .setFlagKey("offline-recording")
                .setAction(RolloutAction.PROMOTE)
                .setOutcome(RolloutOutcome.DRY_RUN)
                .setReason("healthy at 10 %: non-inferior on every guarded metric")
                .setFromStage(1)
                .setFromStageName("10%")
                .setFromPercentage(10.0)
                .setToStage(2)
                .setToStageName("50%")
                .setToPercentage(50.0)
                .setStageVersion(12L)
                .setStageEnteredAt(T0)
                .setMinSoakSeconds(600L)
                .setSecondsInStage(720L)
                .setMinClientsPerCohort(200L)
                .setTreatedClients(420L)
                .setControlClients(3900L)
                .setVerdict("HEALTHY")
                .setConfidence(0.99)
                .setTolerancePercent(50)
                .setMetrics(List.of(MetricEvidence.newBuilder()
                        .setMetric("failure")
                        .setStatus("NON_INFERIOR")
                        .setTreated(0.011)
                        .setControl(0.012)
                        .setRelativeEffect(-0.08)
                        .setEffectLower(-0.3)
                        .setEffectUpper(0.2)
                        .setTreatedClients(420L)
                        .setControlClients(3900L)
                        .setShownWithin(0.12)
                        .build()))
                .setDryRun(true)
                .setDecidedAt(T0.plusSeconds(720))
                .setFlagVersionBefore(13L)
                .setFlagVersionAfter(14L)
                .setFlagChangedAt(T0.plusSeconds(721))
                .build();
    }

    static RolloutActionEvent minimalRollout() {
        return RolloutActionEvent.newBuilder()
                .setActionId("offline-recording:12:EXTEND")
                .setFlagKey("offline-recording")
                .setAction(RolloutAction.EXTEND)
                .setOutcome(RolloutOutcome.APPLIED)
                .setReason("minimums not met")
                .setStageVersion(12L)
                .setDecidedAt(T0)
                .build();
    }

    /** Every field of EvaluatedKeysEvent is required: its full and minimal instances are the same. */
    static EvaluatedKeysEvent evaluatedKeys() {
        return EvaluatedKeysEvent.newBuilder()
                .setFlagKey("offline-recording")
                .setInstanceId("3f1c9a2e")
                .setSliceStart(Instant.parse("2025-03-14T09:20:00Z"))
                .setSliceEnd(Instant.parse("2025-03-14T09:30:00Z"))
                .setFirstKeyAt(Instant.parse("2025-03-14T09:20:04.125Z"))
                .setUpdatedAt(T0)
                .setHashFunctions(7)
                .setBits(ByteBuffer.wrap(new byte[] {1, 2, 3, 4, 5, 6, 7, (byte) 0x80}))
                .setKeys(2L)
                .setCapacity(10_000L)
                .setFalsePositiveRate(0.01)
                .build();
    }
}
