-- Alignment runs: the whole AlignmentRun as the API shows it (protobuf bytes) plus the columns the service queries on,
-- and what a run needs to resume after a restart: its train/holdout split and its candidate before finalizing.

create table alignment_run (
    id            uuid primary key,
    project_id    text        not null,
    metric_id     uuid        not null,
    request_id    text,
    status        text        not null,   -- AlignmentRun.Status name
    run           bytea       not null,   -- plumbline.alignment.v1.AlignmentRun
    split_json    text,                   -- {"train": [annotation ids], "holdout": [annotation ids]} once loaded
    candidate     bytea,                  -- plumbline.registry.v1.VersionContent once distilled
    created_at    timestamptz not null,
    updated_at    timestamptz not null
);

-- Never two runs of one metric at once.
create unique index alignment_run_one_active on alignment_run (metric_id) where status in ('STATUS_PENDING', 'STATUS_RUNNING');
create unique index alignment_run_request on alignment_run (project_id, request_id) where request_id is not null;
create index alignment_run_history on alignment_run (project_id, metric_id, created_at desc, id desc);
create index alignment_run_by_status on alignment_run (status);
