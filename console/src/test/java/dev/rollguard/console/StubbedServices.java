package dev.rollguard.console;

import dev.rollguard.infra.InfraTestResource;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * For the page tests ({@code @QuarkusTestResource(value = StubbedServices.class, restrictToAnnotatedClass = true)}):
 * the shared broker for the live views, and every service the console calls answered by one {@link ServiceStub},
 * started for the annotated test class and reached through {@link #stub()}.
 */
public class StubbedServices implements QuarkusTestResourceLifecycleManager {

    private static volatile ServiceStub stub;

    /** The stub of the test class running now. */
    public static ServiceStub stub() {
        return stub;
    }

    @Override
    public Map<String, String> start() {
        InfraTestResource kafka = new InfraTestResource();
        kafka.init(Map.of());
        Map<String, String> config = new HashMap<>(kafka.start());
        stub = ServiceStub.start();
        for (String service : List.of("flag-service", "metrics-ingest", "alert-service", "rollback-service")) {
            config.put("console.services." + service, stub.url());
        }
        return config;
    }

    @Override
    public void stop() {
        stub.close();
    }
}
