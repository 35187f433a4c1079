package dev.rollguard.e2e;

import dev.rollguard.cli.RollguardApi;
import dev.rollguard.infra.ServiceStack;
import dev.rollguard.infra.SharedInfra;
import dev.rollguard.simulator.demo.ClosedLoopScenario;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/** The four packaged services with the demo's short windows and timings, and a client for their APIs. */
final class DemoStack {

    private DemoStack() {}

    /** Starts the stack on the shared broker and database, with a fresh Kafka Streams state directory. */
    static ServiceStack start() {
        Map<String, List<String>> properties = new HashMap<>();
        for (String service : List.of("flag-service", "metrics-ingest", "alert-service", "rollback-service")) {
            properties.put(service, demoProperties(service));
        }
        properties.get("metrics-ingest").add("kafka-streams.state.dir=" + SharedInfra.freshDirectory("e2e-streams"));
        return ServiceStack.start(properties);
    }

    /** A client of the stack's APIs with its tokens. */
    static RollguardApi api(ServiceStack stack) {
        return new RollguardApi(new RollguardApi.Endpoints(
                stack.url("flag-service"),
                stack.url("metrics-ingest"),
                stack.url("alert-service"),
                stack.url("rollback-service"),
                ServiceStack.ADMIN_TOKEN,
                ServiceStack.CLIENT_TOKEN,
                ServiceStack.PRODUCER_TOKEN));
    }

    private static List<String> demoProperties(String service) {
        Properties props = new Properties();
        try (InputStream in = ClosedLoopScenario.class.getResourceAsStream("/demo-stack/" + service + ".properties")) {
            props.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> result = new ArrayList<>();
        props.forEach((k, v) -> result.add(k + "=" + v));
        return result;
    }
}
