package dev.rollguard.simulator.demo;

import dev.rollguard.cli.RollguardApi;

/**
 * {@code bin/rollguard demo}: the closed loop against the running local stack, narrated. Endpoints and tokens come
 * from the environment the stack wrote ({@code .rollguard/env}); the stack must run with the demo timings ({@code
 * bin/rollguard demo} restarts it with them).
 */
public final class DemoMain {

    private DemoMain() {}

    public static void main(String[] args) throws InterruptedException {
        var env = System.getenv();
        if (env.get("ROLLGUARD_ADMIN_TOKEN") == null || env.get("ROLLGUARD_CLIENT_TOKEN") == null) {
            System.err.println(
                    "error: ROLLGUARD_ADMIN_TOKEN and ROLLGUARD_CLIENT_TOKEN are not set (. .rollguard/env)");
            System.exit(2);
        }
        RollguardApi api = new RollguardApi(RollguardApi.Endpoints.fromEnvironment(env));
        String bootstrap = env.getOrDefault("ROLLGUARD_KAFKA_BOOTSTRAP", "127.0.0.1:19092");
        Narrator narrator = new Narrator(System.out);
        System.out.println(
                "Rollguard demo: three bad rollouts (failures, sync latency, pending mutations) switched off by"
                        + " the default guard and never promoted; a healthy rollout on an auto plan that the promoter"
                        + " advances once the guard rules out each stage's tolerated regression; an outage and a rollout without telemetry"
                        + " left alone.");
        System.out.println();
        ClosedLoopScenario.Result result =
                new ClosedLoopScenario(api, bootstrap, ClosedLoopScenario.Settings.demo(), narrator).run();
        System.exit(result.asExpected() ? 0 : 1);
    }
}
