package dev.rollguard.alert.service;

/** Identifies the state machine of one rule for one scope. */
public record StateKey(String ruleId, String scopeKey) {}
