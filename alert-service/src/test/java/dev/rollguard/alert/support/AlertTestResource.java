package dev.rollguard.alert.support;

import dev.rollguard.infra.InfraTestResource;
import java.util.Map;

/**
 * The shared real broker (with every topic of the topic plan) and the {@code rollguard_alerts} database. Every
 * {@code @QuarkusTest} of this module uses exactly this resource, so Quarkus boots once.
 */
public class AlertTestResource extends InfraTestResource {

    public static final String DATABASE_NAME = "rollguard_alerts";

    @Override
    public void init(Map<String, String> initArgs) {
        super.init(Map.of(DATABASE, DATABASE_NAME));
    }
}
