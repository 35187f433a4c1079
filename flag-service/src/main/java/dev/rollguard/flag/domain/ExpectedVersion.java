package dev.rollguard.flag.domain;

/**
 * The version a write expects the resource to be at, as an If-Match names it (the rest layer reads the header): any
 * version (no If-Match), one version, or none (a tag that names no version, which no resource is at). The service
 * compares it with the resource it found, under the row lock; a resource that is not there is not found, whatever
 * was expected (docs/contracts.md, "Conditional writes").
 *
 * @param tag the entity tag as the client sent it; null for any version
 * @param version the version the tag names; null for any version and for a tag that names none
 */
public record ExpectedVersion(String tag, Long version) {

    /** No If-Match: the write applies to whatever version it finds. */
    public static final ExpectedVersion ANY = new ExpectedVersion(null, null);

    /** A tag that names a version. */
    public static ExpectedVersion of(String tag, long version) {
        return new ExpectedVersion(tag, version);
    }

    /** A tag that names no version: no resource is at it. */
    public static ExpectedVersion none(String tag) {
        return new ExpectedVersion(tag, null);
    }

    /** Whether a resource at {@code current} meets the expectation. */
    public boolean allows(long current) {
        return tag == null || (version != null && version == current);
    }
}
