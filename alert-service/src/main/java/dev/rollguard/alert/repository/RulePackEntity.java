package dev.rollguard.alert.repository;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/** A rule pack that was loaded once; its rules may since have been edited or deleted. */
@Entity
@Table(name = "rule_packs")
public class RulePackEntity {

    @Id
    public String name;

    @Column(name = "loaded_at")
    public Instant loadedAt;
}
