-- One row per alert firing the guard handled. The id is the idempotency key sent to the flag-service
-- (alert fingerprint ':' startsAt millis): an alert read twice finds its row and never acts twice.
create table rollback_action (
    id                      text primary key,
    state                   text not null check (state in ('PENDING', 'DONE')),
    flag_key                text,
    action                  text not null,
    outcome                 text not null,
    reason                  text not null,
    dry_run                 boolean not null default false,
    alert_id                text not null,
    alert_fingerprint       text not null,
    rule_id                 text not null,
    rule_name               text not null,
    metric                  text not null,
    comparator              text,
    threshold               double precision not null,
    observed_value          double precision,
    sample_size             bigint not null default 0,
    scope_type              text,
    scope_key               text,
    cohort                  text,
    cmp_treatment_value     double precision,
    cmp_control_value       double precision,
    cmp_treatment_samples   bigint,
    cmp_control_samples     bigint,
    cmp_p_value             double precision,
    cmp_method              text,
    window_start            timestamptz,
    window_end              timestamptz,
    flag_version_before     bigint,
    flag_version_after      bigint,
    first_breach_at         timestamptz,
    window_closed_at        timestamptz,
    alert_fired_at          timestamptz,
    alert_received_at       timestamptz not null,
    flag_changed_at         timestamptz,
    visible_at              timestamptz,
    published               boolean not null default false,
    created_at              timestamptz not null default now()
);

-- History by flag, newest first; and the cooldown lookup (last change the guard made to a flag).
create index rollback_action_flag_created on rollback_action (flag_key, created_at desc);
create index rollback_action_applied on rollback_action (flag_key, flag_changed_at desc) where outcome = 'APPLIED';
create index rollback_action_created on rollback_action (created_at desc);
