package dev.rollguard.rollback.client;

/**
 * The flag-service could not be reached or could not answer (connection refused, timeout, 5xx, 429, or a token it
 * does not accept yet). The guard retries these without limit: the alert waits, it is not lost.
 */
public class FlagServiceUnavailableException extends RuntimeException {

    public FlagServiceUnavailableException(String message) {
        super(message);
    }

    public FlagServiceUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
