package dev.rollguard.flag.domain;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/**
 * A named, reusable set of constraints that flag rules reference. Its constraints are JSON text (a list of
 * {@link Condition}), read and written whole like a flag's lists.
 */
@Entity
@Table(name = "segments")
public class SegmentEntity extends PanacheEntityBase {

    @Id
    @Column(name = "segment_key")
    public String key;

    public String description;

    /** JSON array of {@link Condition}. */
    public String constraints;

    /** Incremented on every change. */
    public long version;

    @Column(name = "created_at")
    public Instant createdAt;

    @Column(name = "updated_at")
    public Instant updatedAt;

    @Column(name = "updated_by")
    public String updatedBy;
}
