-- One row per step the promoter took on a flag's rollout plan. The id is the idempotency key sent to the flag-service
-- (flag key ':' stage version ':' action): the same step is never taken twice, whichever instance decides it.
create table rollout_action (
    id             text primary key,
    state          text not null check (state in ('PENDING', 'DONE')),
    flag_key       text not null,
    action         text not null,
    outcome        text not null,
    stage_version  bigint not null,
    -- The whole step as served by GET /api/rollouts: evidence, stages, timings.
    step           jsonb not null,
    published      boolean not null default false,
    created_at     timestamptz not null default now()
);

create index rollout_action_flag_created on rollout_action (flag_key, created_at desc);
create index rollout_action_created on rollout_action (created_at desc);
create index rollout_action_unpublished on rollout_action (created_at) where not published and state = 'DONE';
