package dev.rollguard.flag.rest;

import jakarta.annotation.Priority;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.ext.Provider;
import jakarta.ws.rs.ext.ReaderInterceptor;
import jakarta.ws.rs.ext.ReaderInterceptorContext;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Keeps the SHA-256 of the body of a request sent with an Idempotency-Key, for its fingerprint: the key then replays
 * only a request with the same body. Runs inside service-http's body limit, so it reads at most the limit.
 */
@Provider
@Priority(Priorities.USER + 100)
public class IdempotentBodies implements ReaderInterceptor {

    private final CallerHolder holder;

    public IdempotentBodies(CallerHolder holder) {
        this.holder = holder;
    }

    @Override
    public Object aroundReadFrom(ReaderInterceptorContext context) throws IOException {
        if (context.getHeaders().getFirst(FlagResource.IDEMPOTENCY_KEY) != null) {
            byte[] body = context.getInputStream().readAllBytes();
            holder.body(sha256(body));
            context.setInputStream(new ByteArrayInputStream(body));
        }
        return context.proceed();
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }
}
