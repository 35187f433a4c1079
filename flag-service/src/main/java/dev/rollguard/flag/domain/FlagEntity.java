package dev.rollguard.flag.domain;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/**
 * A flag as stored. List- and map-valued settings are JSON text, read and written whole through {@code FlagMapper},
 * because nothing queries inside them and it keeps the mapping free of collection tables.
 */
@Entity
@Table(name = "flags")
public class FlagEntity extends PanacheEntityBase {

    @Id
    @Column(name = "flag_key")
    public String key;

    public String description;
    public String owner;

    @Column(name = "value_type")
    public String valueType;

    public boolean enabled;
    public boolean killed;

    @Column(name = "kill_reason")
    public String killReason;

    public boolean archived;

    @Column(name = "parent_key")
    public String parentKey;

    /** JSON array of targeting keys. */
    @Column(name = "allow_list")
    public String allowList;

    /** JSON array of targeting keys. */
    @Column(name = "deny_list")
    public String denyList;

    @Column(name = "rollout_basis_points")
    public int rolloutBasisPoints;

    /** JSON object: variant name to value. */
    public String variants;

    @Column(name = "treatment_variant")
    public String treatmentVariant;

    @Column(name = "off_variant")
    public String offVariant;

    /** JSON array of {@link Rule}, in evaluation order. */
    public String rules;

    /** JSON array of {@link Weight}; empty when the treatment is one variant. */
    @Column(name = "variant_weights")
    public String variantWeights;

    /** JSON array of {@link Stage}. */
    public String stages;

    @Column(name = "current_stage")
    public Integer currentStage;

    @Column(name = "stage_entered_at")
    public Instant stageEnteredAt;

    /** The version that began the current stage (the guard judges a stage on evidence counted from it). */
    @Column(name = "stage_version")
    public Long stageVersion;

    public boolean paused;

    @Column(name = "pause_reason")
    public String pauseReason;

    /** Set by an abort: the flag serves its off value until a retry takes it back to {@link #abortedAtStage}. */
    public boolean aborted;

    @Column(name = "abort_reason")
    public String abortReason;

    @Column(name = "aborted_at_stage")
    public Integer abortedAtStage;

    /** Time a stage may take to reach its minimums before it is extended once. */
    @Column(name = "minimums_deadline_seconds")
    public long minimumsDeadlineSeconds;

    /** The one extension a stage gets when it misses its minimums. */
    @Column(name = "minimums_extension_seconds")
    public long minimumsExtensionSeconds;

    /** {@code hold} or {@code revert}: see {@link MinimumsMissed}. */
    @Column(name = "minimums_missed_action")
    public String minimumsMissedAction;

    @Column(name = "guard_action")
    public String guardAction;

    @Column(name = "guard_dry_run")
    public boolean guardDryRun;

    @Column(name = "guard_cooldown_seconds")
    public long guardCooldownSeconds;

    /** Incremented by the service on every change; compared with If-Match under a row lock. */
    public long version;

    @Column(name = "created_at")
    public Instant createdAt;

    @Column(name = "updated_at")
    public Instant updatedAt;

    @Column(name = "updated_by")
    public String updatedBy;
}
