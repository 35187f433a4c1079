package dev.rollguard.bench.flag;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Request bodies, built once so the load generator spends its share of the cores on sending: the contexts of
 * {@link EvaluationBenchmark}'s targeted flag (4096, of which some match a rule and some none) as OFREP and as
 * Unleash frontend API bodies, and targeting keys alone.
 */
final class Contexts {

    private static final int VARIED = 4096;
    private static final String[] PLATFORMS = {"IOS", "ANDROID", "WEB"};
    private static final String[] COUNTRIES = {"FR", "DE", "XX", "US"};

    /** {@code {"context":{"targetingKey":"user-N"}}} for 100 000 keys. */
    static final List<byte[]> TARGETING_KEY_ONLY = IntStream.range(0, 100_000)
            .mapToObj(i -> bytes(new JsonObject().put("context", new JsonObject().put("targetingKey", "user-" + i))))
            .toList();

    /** OFREP: a targetingKey and the seven attributes the rules read. */
    static final List<byte[]> ATTRIBUTES = IntStream.range(0, VARIED)
            .mapToObj(i ->
                    bytes(new JsonObject().put("context", attributes(i, false).put("targetingKey", "user-" + i))))
            .toList();

    /** Unleash frontend API: the same subjects and attributes (its properties are strings). */
    static final List<byte[]> UNLEASH = IntStream.range(0, VARIED)
            .mapToObj(i -> bytes(new JsonObject()
                    .put(
                            "context",
                            new JsonObject().put("userId", "user-" + i).put("properties", attributes(i, true)))))
            .toList();

    private Contexts() {}

    private static JsonObject attributes(int i, boolean strings) {
        return new JsonObject()
                .put("platform", PLATFORMS[i % 3])
                .put("appVersion", "4." + (i % 12) + "." + (i % 5))
                .put("country", COUNTRIES[i % 4])
                .put("email", "user-" + i + (i % 7 == 0 ? "@example.org" : "@example.com"))
                .put("age", strings ? (Object) Integer.toString(i % 60) : (Object) (i % 60))
                .put("signedUp", "2026-0" + (1 + i % 9) + "-15T10:00:00Z")
                .put("plan", "plan-" + (i % 16));
    }

    private static byte[] bytes(JsonObject body) {
        return body.encode().getBytes(StandardCharsets.UTF_8);
    }
}
