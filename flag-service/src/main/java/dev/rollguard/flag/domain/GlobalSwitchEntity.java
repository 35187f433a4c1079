package dev.rollguard.flag.domain;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/** The environment-wide kill switch (a single row, id 1). */
@Entity
@Table(name = "global_switch")
public class GlobalSwitchEntity extends PanacheEntityBase {

    public static final short ID = 1;

    @Id
    public Short id;

    public boolean killed;
    public String reason;
    public long version;

    @Column(name = "updated_at")
    public Instant updatedAt;

    @Column(name = "updated_by")
    public String updatedBy;
}
