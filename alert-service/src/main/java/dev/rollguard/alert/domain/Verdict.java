package dev.rollguard.alert.domain;

/** What an observation means for one level of a rule. */
public enum Verdict {
    BREACH,
    HEALTHY,
    NO_DATA
}
