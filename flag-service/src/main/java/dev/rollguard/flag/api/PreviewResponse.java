package dev.rollguard.flag.api;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What the sample context would be served: the variant and its value, the OpenFeature reason, the rule that matched
 * (null when none did) and whether the subject is in a treated cohort.
 */
public record PreviewResponse(String variant, JsonNode value, String reason, String ruleId, boolean treated) {}
