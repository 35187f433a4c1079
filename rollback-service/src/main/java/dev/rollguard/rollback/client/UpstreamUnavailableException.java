package dev.rollguard.rollback.client;

/**
 * The flag-service or the alert-service could not answer the promoter now (unreachable, timeout, 5xx, 429, a token it
 * does not know yet): the promoter tries again in its next round.
 */
public class UpstreamUnavailableException extends RuntimeException {

    public UpstreamUnavailableException(String message) {
        super(message);
    }

    public UpstreamUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
