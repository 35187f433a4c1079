package dev.rollguard.flag.domain;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Embeddable;
import jakarta.persistence.EmbeddedId;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.PostLoad;
import jakarta.persistence.PrePersist;
import jakarta.persistence.PreUpdate;
import jakarta.persistence.Table;
import java.io.Serializable;
import java.time.Instant;
import java.util.Objects;

/** The first answer to a write sent with an Idempotency-Key, replayed for the same key and token. */
@Entity
@Table(name = "idempotency_keys")
public class IdempotencyRecord extends PanacheEntityBase {

    @EmbeddedId
    public Key id;

    @Enumerated(EnumType.STRING)
    public WriteOutcome outcome;

    public String body;

    /** The version the write left the resource at; null when it deleted it. */
    public Long version;

    @Column(name = "created_at")
    public Instant createdAt;

    /** The method and target of the request that used the key first; null in rows stored before it was kept. */
    public String request;

    /** Hex SHA-256 of that request's body; null with {@link #request}. */
    @Column(name = "body_sha256")
    public String bodySha256;

    /**
     * The answer as the previous version stored it (an HTTP status and an ETag), kept while its pods may still run
     * beside this version in a rolling update: they read these columns when they replay a key, and write only these.
     * A later migration drops them.
     */
    @Column(name = "status")
    Integer previousStatus;

    @Column(name = "etag")
    String previousEtag;

    @PrePersist
    @PreUpdate
    void writePreviousForm() {
        previousStatus = switch (outcome) {
            case CREATED -> 201;
            case DELETED -> 204;
            case UPDATED, UNCHANGED -> 200;
        };
        previousEtag = version == null ? null : "\"" + version + "\"";
    }

    @PostLoad
    void readPreviousForm() {
        if (outcome == null && previousStatus != null) {
            outcome = previousStatus == 201
                    ? WriteOutcome.CREATED
                    : previousStatus == 204 ? WriteOutcome.DELETED : WriteOutcome.UPDATED;
        }
        if (version == null && previousEtag != null && previousEtag.length() > 2) {
            version = Long.parseLong(previousEtag.substring(1, previousEtag.length() - 1));
        }
    }

    /**
     * Whether {@code fingerprint} is the request that used the key first; a row stored before requests were kept
     * answers any.
     */
    public boolean answers(RequestFingerprint fingerprint) {
        return request == null
                || fingerprint != null
                        && request.equals(fingerprint.request())
                        && Objects.equals(bodySha256, fingerprint.bodySha256());
    }

    /** Keys are scoped to the token that sent them. */
    @Embeddable
    public static class Key implements Serializable {

        @Column(name = "token_name")
        public String tokenName;

        @Column(name = "idempotency_key")
        public String idempotencyKey;

        public Key() {}

        public Key(String tokenName, String idempotencyKey) {
            this.tokenName = tokenName;
            this.idempotencyKey = idempotencyKey;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k
                    && Objects.equals(tokenName, k.tokenName)
                    && Objects.equals(idempotencyKey, k.idempotencyKey);
        }

        @Override
        public int hashCode() {
            return Objects.hash(tokenName, idempotencyKey);
        }
    }
}
