package dev.rollguard.ingest;

/** The %test tokens of application.properties, as Authorization headers. */
public final class TestTokens {

    public static final String PRODUCER = "Bearer test-producer-token";
    public static final String ADMIN = "Bearer test-admin-token";

    private TestTokens() {}
}
