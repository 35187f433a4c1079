package dev.rollguard.alert.repository;

import dev.rollguard.alert.domain.TransitionDelivery;
import java.time.Instant;

/** Filters of the alert API; null means any. */
public record AlertQuery(
        String status,
        String severity,
        String ruleId,
        String flagKey,
        String scopeKey,
        String fingerprint,
        Instant since,
        Instant until,
        Long before,
        TransitionDelivery.State delivery,
        int limit) {}
