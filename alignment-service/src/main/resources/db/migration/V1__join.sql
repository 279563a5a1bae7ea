-- What the alignment-service learns from: metric settings, judged evaluations and resolved annotations, each kept as
-- it arrives so that the join holds whichever side comes first. Proto-typed values are stored in their proto3 JSON.

create table metric_settings (
    metric_id              uuid primary key,
    project_id             text        not null,
    name                   text        not null,
    output_type_json       text        not null,
    alignment_policy_json  text        not null,
    published_version      integer     not null,
    builtin                boolean     not null,
    event_time             timestamptz not null
);

create table judged_evaluation (
    id                uuid primary key,
    project_id        text        not null,
    metric_id         uuid        not null,
    metric_version    integer     not null,
    record_json       text        not null,
    output_type_json  text        not null,
    value_json        text        not null,
    reasoning         text        not null,
    snapshot          bytea       not null,   -- plumbline.judge.v1.RecordSnapshot
    evaluated_at      timestamptz not null
);

create index judged_evaluation_by_metric on judged_evaluation (metric_id, metric_version, evaluated_at);

create table resolved_annotation (
    id                   uuid primary key,
    project_id           text        not null,
    evaluation_id        uuid        not null,
    metric_id            uuid        not null,
    metric_version       integer     not null,
    judge_value_json     text        not null,
    judge_reasoning      text        not null,
    expected_value_json  text        not null,
    annotation           bytea       not null,   -- the whole plumbline.annotation.v1.Annotation (critiques, reviewers)
    values_equal         boolean     not null,   -- boolean and categorical: same value; numeric: same number
    numeric_delta        double precision,       -- numeric types: |judge - expected|; null otherwise
    revision             integer     not null,
    resolved_at          timestamptz not null,
    updated_at           timestamptz not null
);

create index resolved_annotation_by_metric on resolved_annotation (metric_id, resolved_at desc, id desc);
create index resolved_annotation_by_evaluation on resolved_annotation (evaluation_id);
