package dev.rollguard.alert.service;

/** A request that cannot be served, with the HTTP status and the stable error code the client gets. */
public class ApiException extends RuntimeException {

    private final int status;
    private final String code;

    public ApiException(int status, String code, String message) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
    }

    public static ApiException notFound(String what) {
        return new ApiException(404, "NOT_FOUND", what + " not found");
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }
}
