package dev.rollguard.alert.api;

import dev.rollguard.alert.api.RuleRequest.LevelRequest;
import dev.rollguard.alert.api.RuleRequest.ScopeRequest;
import dev.rollguard.alert.domain.NoDataPolicy;
import dev.rollguard.alert.domain.RuleComparator;
import java.time.Instant;
import java.util.Map;

/** A stored rule with every default resolved. */
public record RuleResponse(
        String id,
        String name,
        String metric,
        RuleComparator comparator,
        LevelRequest warning,
        LevelRequest critical,
        long keepFiringForSeconds,
        long minSampleSize,
        NoDataPolicy noDataPolicy,
        ScopeRequest scope,
        double confidence,
        boolean enabled,
        Map<String, String> labels,
        Map<String, String> annotations,
        long version,
        Instant createdAt,
        Instant updatedAt) {}
