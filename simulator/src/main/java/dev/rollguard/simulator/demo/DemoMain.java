package dev.rollguard.simulator.demo;

import dev.rollguard.cli.RollguardApi;
import dev.rollguard.schemas.event.RollbackOutcome;

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
                "Rollguard demo: a bad rollout switched off by itself, a healthy one and an outage left alone.");
        System.out.println();
        ClosedLoopScenario.Result result =
                new ClosedLoopScenario(api, bootstrap, ClosedLoopScenario.Settings.demo(), narrator).run();
        boolean badKilled = result.badFlag().path("killed").asBoolean();
        boolean othersAlone = !result.healthyFlag().path("killed").asBoolean()
                && !result.outageFlag().path("killed").asBoolean()
                && result.rollbacks().stream()
                        .noneMatch(r -> r.getOutcome() == RollbackOutcome.APPLIED
                                && !ClosedLoopScenario.BAD_FLAG.equals(r.getFlagKey()));
        System.exit(badKilled && othersAlone && result.noTelemetryLost() ? 0 : 1);
    }
}
