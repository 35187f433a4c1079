package dev.rollguard.ingest.domain;

import dev.rollguard.schemas.event.Cohort;

/**
 * The cohort of one event for one flag.
 *
 * @param reported true when the client's exposure said so, false when the pipeline evaluated the flag itself
 */
public record CohortAssignment(String flagKey, Cohort cohort, boolean reported) {}
