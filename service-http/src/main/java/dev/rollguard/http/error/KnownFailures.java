package dev.rollguard.http.error;

/**
 * The failures a service recognises beyond the common ones: its database unreachable (503), a transaction PostgreSQL
 * aborted (409). A service declares at most a few of these as CDI beans; {@link ErrorMappers} asks them before
 * answering 500.
 */
public interface KnownFailures {

    /** The answer for {@code failure}, or null when this service does not recognise it. */
    ApiException recognise(Throwable failure);
}
