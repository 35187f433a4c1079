package dev.rollguard.ingest.domain;

import dev.rollguard.schemas.event.Cohort;

/**
 * The cohort of one event for one flag.
 *
 * @param reported true when the client's exposure said so, false when the pipeline evaluated the flag itself
 * @param variant the treated variant when the flag splits its treatment among weighted variants (each its own
 *     treated cohort); null for the control and for the treatment of a flag without weights
 */
public record CohortAssignment(String flagKey, Cohort cohort, boolean reported, String variant) {

    /** The cohort of a flag without weighted variants. */
    public CohortAssignment(String flagKey, Cohort cohort, boolean reported) {
        this(flagKey, cohort, reported, null);
    }

    /** The scope key of the cohort. */
    public String scopeKey() {
        return ScopeKeys.flag(flagKey, cohort, variant);
    }
}
