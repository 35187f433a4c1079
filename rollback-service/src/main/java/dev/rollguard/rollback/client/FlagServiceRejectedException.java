package dev.rollguard.rollback.client;

/** The flag-service refused a request for good (4xx other than 401, 403, 404 and 429): retrying would not help. */
public class FlagServiceRejectedException extends RuntimeException {

    private final int status;
    private final String code;

    public FlagServiceRejectedException(int status, String code, String message) {
        super("flag-service answered " + status + " " + code + ": " + message);
        this.status = status;
        this.code = code;
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }
}
