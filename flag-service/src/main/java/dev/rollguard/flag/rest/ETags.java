package dev.rollguard.flag.rest;

import dev.rollguard.flag.domain.ExpectedVersion;
import dev.rollguard.http.error.ApiException;

/** A resource's version as an entity tag ({@code "3"}), and back from an If-Match header. */
final class ETags {

    private ETags() {}

    static String of(long version) {
        return "\"" + version + "\"";
    }

    /**
     * The version an If-Match header names, strong or weak ({@code "3"}, {@code W/"3"}): 428
     * {@code PRECONDITION_REQUIRED} without one, so no change is lost.
     */
    static ExpectedVersion requiredVersion(String ifMatch) {
        if (ifMatch == null || ifMatch.isBlank()) {
            throw new ApiException(
                    428, "PRECONDITION_REQUIRED", "PATCH needs If-Match with the flag's ETag, so no change is lost");
        }
        return expectedVersion(ifMatch);
    }

    /**
     * The version an optional If-Match header names, strong or weak: any version without one; a tag that names no
     * version ({@code "abc"}, {@code *}) is met by none (412 once the resource is found).
     */
    static ExpectedVersion expectedVersion(String ifMatch) {
        if (ifMatch == null || ifMatch.isBlank()) {
            return ExpectedVersion.ANY;
        }
        String tag = ifMatch.strip();
        String opaque = (tag.startsWith("W/") ? tag.substring(2) : tag).replace("\"", "");
        try {
            return ExpectedVersion.of(tag, Long.parseLong(opaque));
        } catch (NumberFormatException e) {
            return ExpectedVersion.none(tag);
        }
    }
}
