package dev.rollguard.flag.rest;

import dev.rollguard.http.error.ApiException;

/** A resource's version as an entity tag ({@code "3"}), and back from an If-Match header. */
final class ETags {

    private ETags() {}

    static String of(long version) {
        return "\"" + version + "\"";
    }

    /**
     * The version an If-Match header names, strong or weak ({@code "3"}, {@code W/"3"}): 428
     * {@code PRECONDITION_REQUIRED} without one, so no change is lost; 412 {@code PRECONDITION_FAILED} for a tag that
     * is no version.
     */
    static long requiredVersion(String ifMatch) {
        if (ifMatch == null || ifMatch.isBlank()) {
            throw new ApiException(
                    428, "PRECONDITION_REQUIRED", "PATCH needs If-Match with the flag's ETag, so no change is lost");
        }
        String tag = ifMatch.strip();
        if (tag.startsWith("W/")) {
            tag = tag.substring(2);
        }
        tag = tag.replace("\"", "");
        try {
            return Long.parseLong(tag);
        } catch (NumberFormatException e) {
            throw new ApiException(
                    412, "PRECONDITION_FAILED", "If-Match " + ifMatch + " is not a version of this flag");
        }
    }
}
