package dev.rollguard.alert.config;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.UUID;

/**
 * The name of this running instance (the pod's host name and a random suffix): what it writes as the owner of the
 * partitions, the outbox rows and the webhook deliveries it claims. A restarted process is a new instance.
 */
@ApplicationScoped
public class InstanceIdentity {

    private final String id;

    public InstanceIdentity() {
        String host = System.getenv().getOrDefault("HOSTNAME", "alert-service");
        host = host.length() > 150 ? host.substring(0, 150) : host;
        this.id = host + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    public String id() {
        return id;
    }
}
