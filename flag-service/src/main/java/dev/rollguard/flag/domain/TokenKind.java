package dev.rollguard.flag.domain;

/** What a token may do. */
public enum TokenKind {
    /** Read and write everything. */
    ADMIN,
    /** Read flags, kill, revert a stage, pause: what the rollback-service needs. */
    SERVICE,
    /** Evaluate flags only. */
    CLIENT
}
