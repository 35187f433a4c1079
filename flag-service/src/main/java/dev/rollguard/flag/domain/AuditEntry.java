package dev.rollguard.flag.domain;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/** One change, as it happened: inserted in the transaction of the change and never updated. */
@Entity
@Table(name = "audit_log")
public class AuditEntry extends PanacheEntityBase {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;

    /** The flag changed; null for a change of a segment. */
    @Column(name = "flag_key")
    public String flagKey;

    /** The segment changed; null for a change of a flag. */
    @Column(name = "segment_key")
    public String segmentKey;

    public String action;
    public String actor;

    @Column(name = "token_name")
    public String tokenName;

    public String reason;

    /** Flag JSON before the change, null on creation. */
    @Column(name = "before_state")
    public String before;

    /** Flag JSON after the change. */
    @Column(name = "after_state")
    public String after;

    /** Rollout stage index before the change, for the changes that move a rollout. */
    @Column(name = "from_stage")
    public Integer fromStage;

    @Column(name = "to_stage")
    public Integer toStage;

    @Column(name = "idempotency_key")
    public String idempotencyKey;

    /** X-Request-Id of the request that made the change. */
    @Column(name = "request_id")
    public String requestId;

    /** W3C trace id of the request that made the change. */
    @Column(name = "trace_id")
    public String traceId;

    public Instant at;
}
