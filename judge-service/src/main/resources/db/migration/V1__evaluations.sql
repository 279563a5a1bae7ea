-- Evaluations: one row per judgment, written once. The whole Evaluation and the judged snapshot are kept as protobuf;
-- the columns beside them are what lists filter and what idempotency keys on.

create table evaluation (
    id              uuid primary key,
    project_id      text        not null,
    metric_id       uuid        not null,
    metric_version  integer     not null,
    level           text        not null,
    record_id       text        not null,
    trace_id        text        not null default '',
    session_id      text        not null default '',
    content_hash    text        not null,
    status          text        not null,   -- plumbline.judge.v1.Evaluation.Status name
    origin          text        not null,   -- plumbline.judge.v1.Evaluation.Origin name
    created_at      timestamptz not null,
    evaluation      bytea       not null,   -- plumbline.judge.v1.Evaluation
    snapshot        bytea       not null,   -- plumbline.judge.v1.RecordSnapshot, as judged
    -- the same version judging the same content of the same record gives the same evaluation
    constraint evaluation_idempotent unique (metric_id, metric_version, record_id, content_hash)
);

create index evaluation_by_project_time on evaluation (project_id, created_at desc, id desc);
create index evaluation_by_metric on evaluation (metric_id, metric_version, created_at desc);
create index evaluation_by_record on evaluation (project_id, record_id);
