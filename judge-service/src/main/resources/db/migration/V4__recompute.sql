-- Recompute jobs, and what evaluations need for them: when the judged record ended (ListEvaluations' record_time filter
-- and a recompute's time range) and which job made an evaluation (ListEvaluations' recompute_job_id filter). Rows
-- written before this migration hold neither: they match no record_time filter and no recompute time range.
alter table evaluation add column record_end_time timestamptz, add column recompute_job_id uuid;

-- A recompute's time range: the records of one metric (any version) that ended in a range.
create index evaluation_by_metric_record_time on evaluation (metric_id, record_end_time) where record_end_time is not null;
-- ListEvaluations by record time without a metric.
create index evaluation_by_project_record_time on evaluation (project_id, record_end_time) where record_end_time is not null;
create index evaluation_by_recompute_job on evaluation (recompute_job_id) where recompute_job_id is not null;

-- One row per job. The counters are updated as records are processed (in the transaction that marks the record); the
-- whole RecomputeJob message is rebuilt from the columns, except the scope and the estimate made at start (kept as
-- protobuf). A replica runs a job while it holds its lease (claimed_until, renewed while it runs); a job whose lease ran
-- out (its replica stopped or died) is taken up by any replica and resumes with the records not yet processed.
create table recompute_job (
    id                uuid             primary key,
    project_id        text             not null,
    metric_id         uuid             not null,
    metric_version    integer          not null,   -- resolved at start
    request_id        text             not null default '',
    status            text             not null,   -- plumbline.judge.v1.RecomputeJob.Status name
    scope             bytea            not null,   -- plumbline.judge.v1.RecomputeScope, version resolved
    estimate          bytea            not null,   -- plumbline.judge.v1.RecomputeEstimate made at start
    total             bigint           not null,
    succeeded         bigint           not null default 0,
    errored           bigint           not null default 0,
    skipped           bigint           not null default 0,
    missing           bigint           not null default 0,
    prompt_tokens     bigint           not null default 0,
    completion_tokens bigint           not null default 0,
    cost_usd          double precision not null default 0,
    max_cost_usd      double precision not null default 0,
    error             text             not null default '',
    requested_by      text             not null default '',
    cancelled_by      text             not null default '',
    created_at        timestamptz      not null,
    started_at        timestamptz,
    finished_at       timestamptz,
    claimed_by        text,
    claimed_until     timestamptz
);
-- request_id is the caller's idempotency key, per project
create unique index recompute_job_request on recompute_job (project_id, request_id) where request_id <> '';
create index recompute_job_by_project on recompute_job (project_id, created_at desc, id desc);
create index recompute_job_active on recompute_job (created_at) where status in ('STATUS_PENDING', 'STATUS_RUNNING');

-- The records a job processes, fixed when it starts (a time range is resolved to record ids then); outcome is null
-- until the record is processed: succeeded, errored, skipped or missing.
create table recompute_item (
    job_id    uuid    not null references recompute_job (id) on delete cascade,
    position  integer not null,
    record_id text    not null,
    outcome   text,
    primary key (job_id, position)
);
create index recompute_item_pending on recompute_item (job_id, position) where outcome is null;
