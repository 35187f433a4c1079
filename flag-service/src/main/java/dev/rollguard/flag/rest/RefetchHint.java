package dev.rollguard.flag.rest;

import dev.rollguard.flag.service.FlagSnapshot;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;

/**
 * What a bulk re-fetch triggered by a change notification says about the change (OFREP ADR 0008: {@code
 * flagConfigEtag} and {@code flagConfigLastModified}, the {@code etag} and {@code lastModified} of the event), so
 * that an instance which has not applied it yet waits for it instead of answering 304 with the old values.
 *
 * @param revision the snapshot revision the event named, or null
 * @param lastModified the epoch second of the change the event announced, or null
 */
record RefetchHint(String revision, Long lastModified) {

    /** Reads the query parameters; a value that cannot be read is left out (it is a hint, not a request error). */
    static RefetchHint of(String flagConfigEtag, String flagConfigLastModified) {
        return new RefetchHint(revision(flagConfigEtag), epochSecond(flagConfigLastModified));
    }

    /**
     * Whether {@code state} holds the change the event announced: not when the event is newer than the newest change
     * held, nor when it names another revision no older than what is held (a revision is a hash, so only the time says
     * which of two is newer).
     */
    boolean heldBy(FlagSnapshot.State state) {
        long held = state.lastModified().getEpochSecond();
        if (lastModified != null && lastModified > held) {
            return false;
        }
        return revision == null || revision.equals(state.revision()) || (lastModified != null && lastModified < held);
    }

    private static String revision(String etag) {
        if (etag == null || etag.isBlank()) {
            return null;
        }
        String tag = etag.strip();
        if (tag.startsWith("W/")) {
            tag = tag.substring(2);
        }
        if (tag.length() >= 2 && tag.startsWith("\"") && tag.endsWith("\"")) {
            tag = tag.substring(1, tag.length() - 1);
        }
        return tag.isEmpty() ? null : tag;
    }

    private static Long epochSecond(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        String text = value.strip();
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException notSeconds) {
            try {
                return OffsetDateTime.parse(text).toEpochSecond();
            } catch (DateTimeParseException unreadable) {
                return null;
            }
        }
    }
}
