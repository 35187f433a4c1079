-- What the no-data sweep needs of a rule's idle scope (nothing pending or firing, so no rule_states row): its state
-- as JSON (the end of the last window seen, when each level's last occurrence ended) and the partition of its
-- windows. Written in the batch's transaction, at most once per rule and scope per batch; read on partition
-- assignment, so a scope that falls silent across a restart still gets its no-data policy; deleted once the scope has
-- been silent past no-data-after with nothing pending or firing, or when the rule's state is started afresh.
CREATE TABLE scope_watermarks (
    rule_id         VARCHAR(100) NOT NULL,
    scope_key       VARCHAR(400) NOT NULL,
    state           TEXT         NOT NULL,
    last_window_end TIMESTAMPTZ  NOT NULL,
    partition_no    INT,
    updated_at      TIMESTAMPTZ  NOT NULL,
    PRIMARY KEY (rule_id, scope_key)
);
CREATE INDEX scope_watermarks_by_partition ON scope_watermarks (partition_no);
