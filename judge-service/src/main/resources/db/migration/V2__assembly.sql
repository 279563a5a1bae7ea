-- Assembly of trace and session records from spans. The span consumer writes these rows in the transaction that
-- processes a Kafka record (before its offset is committed); the closer turns idle traces and sessions into
-- assembled records, and the judging of an assembled record is claimed with a lease, so that a restart, a rebalance or
-- a second replica neither loses a record nor judges it twice.

-- One row per trace seen; closed_at is set once, when its record is assembled.
create table assembly_trace (
    trace_id      text        primary key,
    project_id    text        not null,
    session_id    text        not null default '',
    root_ended    boolean     not null default false,
    first_span_at timestamptz not null,
    last_span_at  timestamptz not null,  -- arrival time of its latest span (database clock: one clock for all replicas)
    closed_at     timestamptz
);
create index assembly_trace_open on assembly_trace (last_span_at) where closed_at is null;
create index assembly_trace_by_session on assembly_trace (project_id, session_id) where session_id <> '';

-- The normalized span records of traces not yet assembled (and of sessions not yet closed); deduplicated by id,
-- since the receivers deliver at least once.
create table assembly_span (
    trace_id   text   not null,
    span_id    text   not null,
    start_ns   bigint not null,
    root       boolean not null,
    snapshot   bytea  not null,  -- plumbline.judge.v1.RecordSnapshot of the span
    primary key (trace_id, span_id)
);

-- One row per session seen.
create table assembly_session (
    project_id   text        not null,
    session_id   text        not null,
    last_span_at timestamptz not null,
    ended        boolean     not null default false,  -- a span carried the explicit end attribute
    closed_at    timestamptz,
    primary key (project_id, session_id)
);
create index assembly_session_open on assembly_session (last_span_at) where closed_at is null;

-- Trace and session records, assembled once (the primary key), then judged once: a replica claims a record with a
-- lease (claimed_until) and marks it judged_at when every metric judged it.
create table assembled_record (
    project_id    text        not null,
    level         text        not null,   -- plumbline.common.v1.Level name
    record_id     text        not null,
    snapshot      bytea       not null,   -- plumbline.judge.v1.RecordSnapshot
    closed_at     timestamptz not null,
    claimed_until timestamptz,
    judged_at     timestamptz,
    primary key (project_id, level, record_id)
);
create index assembled_record_pending on assembled_record (closed_at) where judged_at is null;

-- Token use per metric binding and UTC day; a binding whose budget is spent judges nothing more that day.
create table budget_usage (
    project_id     text             not null,
    metric_id      uuid             not null,
    binding_name   text             not null,
    day            date             not null,
    daily_budget   bigint           not null default 0,
    tokens_used    bigint           not null default 0,
    evaluations    bigint           not null default 0,
    skipped_budget bigint           not null default 0,
    cost_usd       double precision not null default 0,
    exhausted_at   timestamptz,
    primary key (project_id, metric_id, binding_name, day)
);
