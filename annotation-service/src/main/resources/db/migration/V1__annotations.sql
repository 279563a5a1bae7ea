-- Evaluations as received, review queues, items, assignments, feedback, resolution settings and resolved annotations.
-- Proto messages that are settings are stored as their proto3 JSON mapping (readable with psql); evaluations,
-- snapshots and annotations, which are read whole, as protobuf bytes.

create table evaluation (
    id              text primary key,               -- the judge's evaluation id
    event_id        text        not null unique,    -- EvaluationEvent.event_id, for dedupe
    project_id      text        not null,
    metric_id       text        not null,
    metric_version  integer     not null,
    record_id       text        not null,
    status          text        not null,           -- plumbline.judge.v1.Evaluation.Status name
    evaluation      bytea       not null,           -- plumbline.judge.v1.Evaluation
    snapshot        bytea       not null,           -- plumbline.judge.v1.RecordSnapshot
    evaluated_at    timestamptz not null,
    received_at     timestamptz not null default now()
);
create index evaluation_by_record on evaluation (project_id, record_id, metric_id, evaluated_at desc);

create table review_queue (
    id              uuid primary key,
    project_id      text        not null,
    name            text        not null,
    description     text        not null default '',
    metric_id       text,                            -- null: a manual queue taking items of any metric
    metric_default  boolean     not null default false,
    strategy_json   text        not null,            -- plumbline.annotation.v1.FillStrategy
    matchers_json   text        not null default '{}', -- {"matchers": [plumbline.registry.v1.AttributeMatcher]}
    resolution_json text,                            -- plumbline.annotation.v1.ResolutionSettings; null: the metric's
    paused          boolean     not null default false,
    revision        bigint      not null default 1,
    created_by      text        not null,
    created_at      timestamptz not null,
    updated_at      timestamptz not null,
    constraint review_queue_name_unique unique (project_id, name)
);
create unique index review_queue_default_per_metric on review_queue (project_id, metric_id) where metric_default;

create table review_item (
    id                    uuid primary key,
    project_id            text        not null,
    queue_id              uuid        not null references review_queue (id) on delete cascade,
    evaluation_id         text        not null references evaluation (id),
    metric_id             text        not null,
    record_id             text        not null,
    status                text        not null,      -- plumbline.annotation.v1.ReviewItem.Status name
    source                text        not null,      -- plumbline.annotation.v1.ReviewItem.Source name
    added_by              text        not null default '',
    stratum               text        not null default '', -- the judge value's stratum (stratified queues)
    -- The settings in force, kept on the row so that NextItem decides on the locked row alone.
    required_reviews      integer     not null,
    principal_reviewer_id text        not null default '',
    -- Counters recomputed under the row lock from feedback and assignment.
    review_count          integer     not null default 0,
    open_assignments      integer     not null default 0,
    principal_in          boolean     not null default false,
    annotation_id         uuid,
    created_at            timestamptz not null,
    resolved_at           timestamptz,
    constraint review_item_once_per_project unique (project_id, evaluation_id)
);
create index review_item_open on review_item (project_id, created_at, id) where status = 'STATUS_OPEN';
create index review_item_by_queue on review_item (queue_id, created_at desc);
create index review_item_stratum on review_item (queue_id, stratum, created_at);

-- Who was handed which item. A row stays after feedback, a skip or an expired lease, so that an item is never
-- handed to the same reviewer twice.
create table assignment (
    item_id          uuid        not null references review_item (id) on delete cascade,
    reviewer_id      text        not null,
    state            text        not null,           -- ASSIGNED, REVIEWED, SKIPPED, EXPIRED
    lease_expires_at timestamptz not null,
    reason           text        not null default '',
    created_at       timestamptz not null,
    primary key (item_id, reviewer_id)
);
create index assignment_leases on assignment (lease_expires_at) where state = 'ASSIGNED';
create index assignment_by_reviewer on assignment (reviewer_id);

create table feedback (
    id                  uuid primary key,
    project_id          text        not null,
    item_id             uuid        not null references review_item (id) on delete cascade,
    reviewer_id         text        not null,
    verdict             text        not null,        -- plumbline.annotation.v1.Verdict name
    expected_value_json text,                        -- plumbline.common.v1.MetricValue, for INCORRECT
    value_json          text        not null,        -- the value the feedback stands for
    critique            text        not null default '',
    tags                text        not null default '', -- comma-separated
    imported            boolean     not null default false,
    revision            bigint      not null default 1,
    created_at          timestamptz not null,
    updated_at          timestamptz not null,
    constraint feedback_once_per_reviewer unique (item_id, reviewer_id)
);
create index feedback_by_reviewer on feedback (project_id, reviewer_id);

create table resolution_config (
    id            uuid primary key,
    project_id    text        not null,
    metric_id     text        not null,
    settings_json text        not null,              -- plumbline.annotation.v1.ResolutionSettings
    revision      bigint      not null,
    updated_by    text        not null,
    updated_at    timestamptz not null,
    constraint resolution_config_per_metric unique (project_id, metric_id)
);

create table annotation (
    id              uuid primary key,
    project_id      text        not null,
    item_id         uuid        not null unique,     -- no foreign key: annotations outlive deleted queues
    queue_id        uuid        not null,
    evaluation_id   text        not null,
    metric_id       text        not null,
    metric_version  integer     not null,
    record_id       text        not null,
    judge_correct   boolean     not null,
    revision        integer     not null,
    content         bytea       not null,            -- plumbline.annotation.v1.Annotation, complete
    resolved_at     timestamptz not null,
    updated_at      timestamptz not null,
    last_event_id   text        not null
);
create index annotation_newest on annotation (project_id, updated_at desc, id desc);
