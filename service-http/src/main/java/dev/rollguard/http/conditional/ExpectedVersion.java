package dev.rollguard.http.conditional;

import dev.rollguard.http.error.ApiException;
import java.util.List;

/**
 * The version a write expects the resource to be at, as an If-Match names it ({@link ETags} reads the header): any
 * version (no If-Match, or {@code *}: "any current representation", RFC 9110 §13.1.1), one of the versions its tags
 * name, or none (tags that name no version, which no resource is at). The service compares it with the resource it
 * found, under the row lock; a resource that is not there is not found, whatever was expected (docs/contracts.md,
 * "Conditional writes"), so {@link #require} is called once the resource is found.
 *
 * @param tag the If-Match value as the client sent it; null without one
 * @param versions the versions its tags name (empty when they name none); null for any version
 */
public record ExpectedVersion(String tag, List<Long> versions) {

    /** No If-Match: the write applies to whatever version it finds. */
    public static final ExpectedVersion ANY = new ExpectedVersion(null, null);

    public ExpectedVersion {
        versions = versions == null ? null : List.copyOf(versions);
    }

    /** {@code If-Match: *}: met by the resource at any version, as long as it is there. */
    public static ExpectedVersion anyCurrent(String tag) {
        return new ExpectedVersion(tag, null);
    }

    /** Tags that name these versions (none: no resource is at them). */
    public static ExpectedVersion oneOf(String tag, List<Long> versions) {
        return new ExpectedVersion(tag, versions);
    }

    /** A tag that names one version. */
    public static ExpectedVersion of(String tag, long version) {
        return new ExpectedVersion(tag, List.of(version));
    }

    /** Whether a resource at {@code current} meets the expectation. */
    public boolean allows(long current) {
        return versions == null || versions.contains(current);
    }

    /**
     * Refuses a write with 412 {@code PRECONDITION_FAILED} unless the {@code kind} ("flag", "rule") named {@code key},
     * found at version {@code current}, is at the version the write expects. Called once the resource is found: a
     * missing one is 404 whatever was expected.
     */
    public void require(String kind, String key, long current) {
        if (allows(current)) {
            return;
        }
        String message = versions.isEmpty()
                ? "If-Match " + tag + " is not a version of " + kind + " '" + key + "' (it is at version " + current
                        + ")"
                : kind + " '" + key + "' is at version " + current + ", not "
                        + (versions.size() == 1 ? versions.get(0) : "one of " + versions)
                        + ": fetch it again and reapply the change";
        throw new ApiException(412, "PRECONDITION_FAILED", message);
    }
}
