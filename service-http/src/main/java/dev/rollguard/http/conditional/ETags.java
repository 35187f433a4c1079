package dev.rollguard.http.conditional;

import dev.rollguard.http.error.ApiException;
import java.util.ArrayList;
import java.util.List;

/** A resource's version as an entity tag ({@code "3"}), back from an If-Match header, and If-None-Match met. */
public final class ETags {

    private ETags() {}

    public static String of(long version) {
        return "\"" + version + "\"";
    }

    /**
     * Whether a GET with this If-None-Match is answered 304, the resource being at {@code etag} (RFC 9110 §13.1.2): the
     * header holds {@code *} or a comma-separated list of entity tags, compared weakly ({@code W/"3"} matches
     * {@code "3"}).
     */
    public static boolean notModified(String ifNoneMatch, String etag) {
        if (ifNoneMatch == null) {
            return false;
        }
        for (String candidate : ifNoneMatch.split(",")) {
            String tag = candidate.strip();
            if (tag.startsWith("W/")) {
                tag = tag.substring(2);
            }
            if (tag.equals("*") || tag.equals(etag)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The version an If-Match header names, strong or weak ({@code "3"}, {@code W/"3"}): 428
     * {@code PRECONDITION_REQUIRED} without one, so no change is lost; {@code write} says which write needs it, in the
     * message ("PATCH of a flag").
     */
    public static ExpectedVersion requiredVersion(String ifMatch, String write) {
        if (ifMatch == null || ifMatch.isBlank()) {
            throw new ApiException(
                    428,
                    "PRECONDITION_REQUIRED",
                    write + " needs If-Match with the ETag of a read, so no change is lost");
        }
        return expectedVersion(ifMatch);
    }

    /**
     * The versions an optional If-Match header names: any version without one or with {@code *} (RFC 9110 §13.1.1:
     * any current representation); otherwise the versions of its comma-separated entity tags, strong or weak
     * ({@code "3"}, {@code W/"3"}, {@code "3", "4"}). Tags that name no version ({@code "abc"}) are met by none (412
     * once the resource is found).
     */
    public static ExpectedVersion expectedVersion(String ifMatch) {
        if (ifMatch == null || ifMatch.isBlank()) {
            return ExpectedVersion.ANY;
        }
        String tag = ifMatch.strip();
        if (tag.equals("*")) {
            return ExpectedVersion.anyCurrent(tag);
        }
        List<Long> versions = new ArrayList<>();
        for (String one : tag.split(",")) {
            String trimmed = one.strip();
            String opaque = (trimmed.startsWith("W/") ? trimmed.substring(2) : trimmed).replace("\"", "");
            try {
                versions.add(Long.parseLong(opaque));
            } catch (NumberFormatException e) {
                // names no version of ours: met by none
            }
        }
        return ExpectedVersion.oneOf(tag, versions);
    }
}
