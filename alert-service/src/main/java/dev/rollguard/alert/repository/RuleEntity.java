package dev.rollguard.alert.repository;

import jakarta.persistence.Column;
import jakarta.persistence.Convert;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.Map;

/** A rule row; see the V1 migration. */
@Entity
@Table(name = "rules")
public class RuleEntity {

    @Id
    public String id;

    public String name;
    public String metric;
    public String comparator;

    @Column(name = "warning_threshold")
    public Double warningThreshold;

    @Column(name = "warning_for_seconds")
    public Long warningForSeconds;

    @Column(name = "critical_threshold")
    public Double criticalThreshold;

    @Column(name = "critical_for_seconds")
    public Long criticalForSeconds;

    @Column(name = "keep_firing_for_seconds")
    public long keepFiringForSeconds;

    @Column(name = "min_sample_size")
    public long minSampleSize;

    @Column(name = "no_data_policy")
    public String noDataPolicy;

    @Column(name = "scope_types")
    public String scopeTypes;

    @Column(name = "scope_flag_key")
    public String scopeFlagKey;

    @Column(name = "scope_cohort")
    public String scopeCohort;

    @Column(name = "scope_table")
    public String scopeTable;

    @Column(name = "scope_platform")
    public String scopePlatform;

    @Column(name = "scope_window_kind")
    public String scopeWindowKind;

    public double confidence;
    public boolean enabled;

    @Convert(converter = StringMapConverter.class)
    public Map<String, String> labels;

    @Convert(converter = StringMapConverter.class)
    public Map<String, String> annotations;

    public long version;

    @Column(name = "created_at")
    public Instant createdAt;

    @Column(name = "updated_at")
    public Instant updatedAt;
}
