package dev.rollguard.schemas.serde;

/** Bytes that cannot be read as the expected event. {@link #reason()} says why, for dead-letter headers. */
public class AvroDecodingException extends RuntimeException {

    /** Why a record could not be decoded. */
    public enum Reason {
        /** Empty or missing payload. */
        EMPTY,
        /** The bytes do not start with the Avro single-object marker: not Avro, or another encoding. */
        NOT_SINGLE_OBJECT,
        /** The writer schema's fingerprint is neither the current schema nor a kept earlier version. */
        UNKNOWN_FINGERPRINT,
        /** The header is right but the body ends early or does not match the writer schema. */
        MALFORMED
    }

    private final Reason reason;

    public AvroDecodingException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
