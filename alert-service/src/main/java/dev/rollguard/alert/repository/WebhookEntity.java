package dev.rollguard.alert.repository;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/**
 * A webhook subscription; {@code severities} is a comma-separated list of Severity symbols, {@code groupBy} one of
 * label names, durations are in milliseconds.
 */
@Entity
@Table(name = "webhooks")
public class WebhookEntity {

    @Id
    public String id;

    public String name;
    public String url;
    public String secret;
    public String severities;
    public boolean enabled;

    @Column(name = "group_by")
    public String groupBy;

    @Column(name = "group_wait_ms")
    public long groupWaitMs;

    @Column(name = "group_interval_ms")
    public long groupIntervalMs;

    @Column(name = "repeat_interval_ms")
    public long repeatIntervalMs;

    /** The receiver's kind: generic, slack, pagerduty, alertmanager. */
    public String kind;

    /** Comma-separated subset of alerts, actions. */
    public String events;

    /** PagerDuty integration key; null for other kinds. */
    @Column(name = "routing_key")
    public String routingKey;

    /** The routing matchers as JSON (a list of {name, value, isRegex, isEqual}); '[]' for none. */
    public String matchers;

    @Column(name = "created_at")
    public Instant createdAt;

    @Column(name = "updated_at")
    public Instant updatedAt;
}
