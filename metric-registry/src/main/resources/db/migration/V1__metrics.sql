-- Metrics, their immutable versions and their publication history.
-- Settings that are proto messages are stored as their proto3 JSON mapping (readable with psql).

create table metric (
    id                     uuid primary key,
    project_id             text        not null,            -- '' for built-ins
    name                   text        not null,
    description            text        not null default '',
    level                  text        not null,            -- plumbline.common.v1.Level name
    output_type_json       text        not null,            -- plumbline.common.v1.OutputType
    judge_model_json       text        not null,            -- plumbline.common.v1.ModelConfig
    bindings_json          text        not null default '[]', -- [plumbline.registry.v1.Binding]
    alignment_policy_json  text        not null default '{}', -- plumbline.registry.v1.AlignmentPolicy
    archived               boolean     not null default false,
    builtin                boolean     not null default false,
    forked_from_metric_id  uuid,
    forked_from_version    integer,
    published_version      integer     not null default 0,
    head_version           integer     not null default 0,
    revision               bigint      not null default 1,
    created_at             timestamptz not null default now(),
    updated_at             timestamptz not null default now(),
    constraint metric_name_unique_per_project unique (project_id, name)
);

create table metric_version (
    id                      bigserial primary key,
    metric_id               uuid        not null references metric (id),
    version                 integer     not null,
    prompt_template         text        not null,
    guidelines_json         text        not null default '[]', -- [plumbline.registry.v1.Guideline]
    examples_json           text        not null default '[]', -- [plumbline.registry.v1.FewShotExample]
    parent_version          integer     not null,
    author_user             text,
    author_alignment_run_id text,
    change_note             text        not null,
    content_hash            text        not null,
    created_at              timestamptz not null default now(),
    constraint metric_version_unique unique (metric_id, version)
);

create table metric_publication (
    id                      bigserial primary key,
    metric_id               uuid        not null references metric (id),
    version                 integer     not null,
    previous_version        integer     not null,
    kind                    text        not null,  -- plumbline.registry.v1.Publication.Kind name
    reverted_to_version     integer     not null default 0,
    actor_user              text,
    actor_alignment_run_id  text,
    published_at            timestamptz not null default now()
);

create index metric_publication_by_metric on metric_publication (metric_id, id desc);
