package dev.rollguard.bench.flag;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * A flag of the benchmark, as written through the flag-service's admin API and, for the comparison, as an Unleash
 * toggle of the same rollout percentage.
 */
record BenchFlag(String key, int percentage, JsonObject json) {

    private static final int[] PERCENTAGES = {1, 5, 10, 20, 25, 50, 75, 90, 100};

    /**
     * The plain 10 % flag, the 10-rule flag, and 98 rollouts of the percentages above in turn, every tenth of them
     * (10) with two rules of two constraints.
     */
    static List<BenchFlag> hundred() {
        List<BenchFlag> flags = new ArrayList<>();
        flags.add(new BenchFlag(
                "offline-recording",
                10,
                new JsonObject()
                        .put("key", "offline-recording")
                        .put("description", "bench")
                        .put("enabled", true)
                        .put("allowList", new JsonArray().add("admin@example.com"))
                        .put("rolloutPercentage", 10)));
        flags.add(new BenchFlag("targeted", 10, targeted()));
        for (int k = 2; k < 100; k++) {
            String key = String.format("bench-%02d", k);
            int percentage = PERCENTAGES[k % PERCENTAGES.length];
            JsonObject json = new JsonObject()
                    .put("key", key)
                    .put("description", "bench")
                    .put("enabled", true)
                    .put("rolloutPercentage", percentage);
            if (k % 10 == 5) {
                json.put(
                        "rules",
                        new JsonArray()
                                .add(new JsonObject()
                                        .put("id", "ios-new")
                                        .put(
                                                "constraints",
                                                new JsonArray()
                                                        .add(constraint("platform", "IN", "ios")
                                                                .put("caseInsensitive", true))
                                                        .add(constraint("appVersion", "SEMVER_GTE", "4.5.0")))
                                        .put("rolloutPercentage", 50))
                                .add(new JsonObject()
                                        .put("id", "internal")
                                        .put(
                                                "constraints",
                                                new JsonArray()
                                                        .add(constraint("email", "STR_ENDS_WITH", "@example.org"))
                                                        .add(constraint("country", "NOT_IN", "XX")))));
            }
            flags.add(new BenchFlag(key, percentage, json));
        }
        return flags;
    }

    static String describe() {
        return "`offline-recording` (10 %), `targeted` (10 %, 10 rules of 5 constraints) and 98 rollouts at 1, 5, 10,"
                + " 20, 25, 50, 75, 90 or 100 % in turn, 10 of them with two rules of two constraints.";
    }

    /** EvaluationBenchmark's targeted flag: weighted variants 50/50, rollout 10 %, 10 rules of 5 constraints. */
    private static JsonObject targeted() {
        return new JsonObject()
                .put("key", "targeted")
                .put("description", "bench: 10 rules of 5 constraints")
                .put("enabled", true)
                .put(
                        "variants",
                        new JsonObject().put("on", true).put("off", false).put("blue", true))
                .put("treatmentVariant", "on")
                .put("offVariant", "off")
                .put("rolloutPercentage", 10)
                .put(
                        "variantWeights",
                        new JsonArray()
                                .add(new JsonObject().put("variant", "on").put("weight", 50))
                                .add(new JsonObject().put("variant", "blue").put("weight", 50)))
                .put(
                        "rules",
                        new JsonArray(IntStream.range(0, 10)
                                .mapToObj(BenchFlag::rule)
                                .map(Object.class::cast)
                                .toList()));
    }

    /** As EvaluationBenchmark.rule(i): even rules serve blue, odd ones roll the treatment out on 50 %. */
    private static JsonObject rule(int i) {
        JsonObject last =
                switch (i % 3) {
                    case 0 -> constraint("age", "NUM_GTE", String.valueOf(18 + i));
                    case 1 -> constraint("signedUp", "DATE_AFTER", "2026-0" + (1 + i % 9) + "-01T00:00:00Z");
                    default -> constraint("plan", "IN", "plan-" + i, "plan-" + (i + 1));
                };
        JsonObject rule = new JsonObject()
                .put("id", "rule-" + i)
                .put(
                        "constraints",
                        new JsonArray()
                                .add(constraint("platform", "IN", "ios", "android")
                                        .put("caseInsensitive", true))
                                .add(constraint("appVersion", "SEMVER_GTE", "4." + i + ".0"))
                                .add(constraint("country", "NOT_IN", "XX", "YY", "ZZ"))
                                .add(
                                        i % 2 == 0
                                                ? constraint("email", "STR_ENDS_WITH", "@example.com")
                                                : constraint("email", "MATCHES", "^user-\\d+@example\\.com$"))
                                .add(last));
        return i % 2 == 0 ? rule.put("variant", "blue") : rule.put("rolloutPercentage", 50);
    }

    private static JsonObject constraint(String attribute, String operator, String... values) {
        return new JsonObject()
                .put("attribute", attribute)
                .put("operator", operator)
                .put("values", new JsonArray(List.of((Object[]) values)));
    }
}
