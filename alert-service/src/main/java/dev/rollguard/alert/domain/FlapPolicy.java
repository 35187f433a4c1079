package dev.rollguard.alert.domain;

import java.time.Duration;

/**
 * Flapping protection: a level that started firing {@code maxFirings} times within {@code window} only resolves
 * after being healthy for the whole {@code window} (instead of {@code keep_firing_for}), so a metric that keeps
 * crossing its threshold pages at most {@code maxFirings} times per window.
 */
public record FlapPolicy(int maxFirings, Duration window) {

    public FlapPolicy {
        if (maxFirings < 1) {
            throw new IllegalArgumentException("maxFirings must be at least 1");
        }
    }
}
