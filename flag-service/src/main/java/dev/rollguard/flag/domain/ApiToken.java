package dev.rollguard.flag.domain;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** An API token; only its SHA-256 is stored. */
@Entity
@Table(name = "api_tokens")
public class ApiToken extends PanacheEntityBase {

    @Id
    public UUID id;

    public String name;
    public String kind;

    @Column(name = "token_hash")
    public String tokenHash;

    /** Evaluation requests per second this token may make; null takes the configured default. */
    @Column(name = "requests_per_second")
    public Integer requestsPerSecond;

    @Column(name = "created_at")
    public Instant createdAt;

    @Column(name = "created_by")
    public String createdBy;

    /** When {@link #tokenHash} was last given a new value; null for a token stored before V11 recorded it. */
    @Column(name = "secret_set_at")
    public Instant secretSetAt;

    @Column(name = "revoked_at")
    public Instant revokedAt;
}
