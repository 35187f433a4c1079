package dev.rollguard.rollback.testing;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/** Starts the {@link FakeFlagService} and points the application at it. */
public class FakeFlagServiceResource implements QuarkusTestResourceLifecycleManager {

    private FakeFlagService fake;

    @Override
    public Map<String, String> start() {
        fake = FakeFlagService.start();
        // The fake answers the alert-service's GET /api/guard and GET /api/alerts too, for the promoter and the guard.
        return Map.of(
                "rollback-service.flag-service.url",
                fake.baseUrl(),
                "rollback-service.alert-service.url",
                fake.baseUrl());
    }

    @Override
    public void inject(TestInjector testInjector) {
        testInjector.injectIntoFields(
                fake, new TestInjector.AnnotatedAndMatchesType(InjectFakeFlagService.class, FakeFlagService.class));
    }

    @Override
    public void stop() {
        if (fake != null) {
            fake.close();
        }
    }
}
