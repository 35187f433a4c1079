package dev.rollguard.alert.mapping;

import dev.rollguard.alert.api.RuleRequest;
import dev.rollguard.alert.api.RuleRequest.LevelRequest;
import dev.rollguard.alert.api.RuleRequest.ScopeRequest;
import dev.rollguard.alert.api.RuleResponse;
import dev.rollguard.alert.domain.Level;
import dev.rollguard.alert.domain.NoDataPolicy;
import dev.rollguard.alert.domain.RuleComparator;
import dev.rollguard.alert.domain.RuleDefinition;
import dev.rollguard.alert.domain.ScopeSelector;
import dev.rollguard.alert.repository.RuleEntity;
import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.Platform;
import dev.rollguard.schemas.event.ScopeType;
import dev.rollguard.schemas.event.Severity;
import dev.rollguard.schemas.event.WindowKind;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/** Between rule requests, rule rows, rule responses and the evaluator's rule definitions. */
public final class RuleMapper {

    /** Threshold rules watch every scope but flag cohorts unless told otherwise: only a comparison blames a flag. */
    public static final Set<ScopeType> DEFAULT_THRESHOLD_SCOPES =
            EnumSet.of(ScopeType.GLOBAL, ScopeType.TABLE, ScopeType.PLATFORM);

    public static final double DEFAULT_CONFIDENCE = 0.99;
    public static final long DEFAULT_MIN_SAMPLE_SIZE = 1;

    private RuleMapper() {}

    /** Scope types of a request, defaults applied. */
    public static Set<ScopeType> scopeTypes(RuleRequest request) {
        Set<ScopeType> types = request.scope() == null ? null : request.scope().types();
        if (types != null && !types.isEmpty()) {
            return EnumSet.copyOf(types);
        }
        return request.comparator().comparesCohorts()
                ? EnumSet.of(ScopeType.FLAG_COHORT)
                : EnumSet.copyOf(DEFAULT_THRESHOLD_SCOPES);
    }

    /** Copies a validated request onto a row, defaults applied. */
    public static void apply(RuleRequest request, RuleEntity entity) {
        ScopeRequest scope = request.scope();
        entity.name = request.name().strip();
        entity.metric = request.metric();
        entity.comparator = request.comparator().name();
        long forSeconds = request.forSeconds() == null ? 0 : request.forSeconds();
        entity.warningThreshold =
                request.warning() == null ? null : request.warning().threshold();
        entity.warningForSeconds =
                request.warning() == null ? null : orDefault(request.warning().forSeconds(), forSeconds);
        entity.criticalThreshold =
                request.critical() == null ? null : request.critical().threshold();
        entity.criticalForSeconds =
                request.critical() == null ? null : orDefault(request.critical().forSeconds(), forSeconds);
        entity.keepFiringForSeconds = orDefault(request.keepFiringForSeconds(), 0L);
        entity.minSampleSize = orDefault(request.minSampleSize(), DEFAULT_MIN_SAMPLE_SIZE);
        entity.noDataPolicy =
                (request.noDataPolicy() == null ? NoDataPolicy.KEEP_STATE : request.noDataPolicy()).name();
        entity.scopeTypes =
                scopeTypes(request).stream().map(Enum::name).sorted().collect(Collectors.joining(","));
        entity.scopeFlagKey = scope == null ? null : blankToNull(scope.flagKey());
        entity.scopeCohort =
                scope == null || scope.cohort() == null ? null : scope.cohort().name();
        entity.scopeTable = scope == null ? null : blankToNull(scope.table());
        entity.scopePlatform = scope == null || scope.platform() == null
                ? null
                : scope.platform().name();
        // Tumbling windows partition time, which is what `for` and `keep_firing_for` count; metrics-ingest also emits
        // overlapping hopping windows for the same scopes, which a rule watches only when asked to.
        entity.scopeWindowKind =
                (scope == null || scope.windowKind() == null ? WindowKind.TUMBLING : scope.windowKind()).name();
        entity.confidence = request.confidence() == null ? DEFAULT_CONFIDENCE : request.confidence();
        entity.enabled = request.enabled() == null || request.enabled();
        entity.labels = request.labels() == null ? Map.of() : Map.copyOf(request.labels());
        entity.annotations = request.annotations() == null ? Map.of() : Map.copyOf(request.annotations());
    }

    public static RuleResponse toResponse(RuleEntity e) {
        return new RuleResponse(
                e.id,
                e.name,
                e.metric,
                RuleComparator.valueOf(e.comparator),
                e.warningThreshold == null ? null : new LevelRequest(e.warningThreshold, e.warningForSeconds),
                e.criticalThreshold == null ? null : new LevelRequest(e.criticalThreshold, e.criticalForSeconds),
                e.keepFiringForSeconds,
                e.minSampleSize,
                NoDataPolicy.valueOf(e.noDataPolicy),
                new ScopeRequest(
                        scopeTypes(e.scopeTypes),
                        e.scopeFlagKey,
                        e.scopeCohort == null ? null : Cohort.valueOf(e.scopeCohort),
                        e.scopeTable,
                        e.scopePlatform == null ? null : Platform.valueOf(e.scopePlatform),
                        e.scopeWindowKind == null ? null : WindowKind.valueOf(e.scopeWindowKind)),
                e.confidence,
                e.enabled,
                e.labels,
                e.annotations,
                e.version,
                e.createdAt,
                e.updatedAt);
    }

    public static RuleDefinition toDefinition(RuleEntity e) {
        return new RuleDefinition(
                e.id,
                e.name,
                e.metric,
                RuleComparator.valueOf(e.comparator),
                e.warningThreshold == null
                        ? null
                        : new Level(Severity.WARNING, e.warningThreshold, Duration.ofSeconds(e.warningForSeconds)),
                e.criticalThreshold == null
                        ? null
                        : new Level(Severity.CRITICAL, e.criticalThreshold, Duration.ofSeconds(e.criticalForSeconds)),
                Duration.ofSeconds(e.keepFiringForSeconds),
                e.minSampleSize,
                NoDataPolicy.valueOf(e.noDataPolicy),
                new ScopeSelector(
                        scopeTypes(e.scopeTypes),
                        e.scopeFlagKey,
                        e.scopeCohort == null ? null : Cohort.valueOf(e.scopeCohort),
                        e.scopeTable,
                        e.scopePlatform == null ? null : Platform.valueOf(e.scopePlatform),
                        e.scopeWindowKind == null ? null : WindowKind.valueOf(e.scopeWindowKind)),
                e.confidence,
                e.enabled,
                e.labels,
                e.annotations,
                e.version,
                e.createdAt);
    }

    private static Set<ScopeType> scopeTypes(String stored) {
        return Arrays.stream(stored.split(","))
                .filter(s -> !s.isBlank())
                .map(ScopeType::valueOf)
                .collect(Collectors.toCollection(() -> EnumSet.noneOf(ScopeType.class)));
    }

    private static long orDefault(Long value, long fallback) {
        return value == null ? fallback : value;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }
}
