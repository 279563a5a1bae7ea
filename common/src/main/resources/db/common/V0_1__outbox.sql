-- The transactional outbox shared by every service (io.plumbline.common.outbox): an event row is written in the
-- same transaction as the change it reports; the relay publishes it to Kafka and marks it.
create table outbox_event (
    id            bigserial primary key,
    event_id      uuid        not null unique,
    topic         text        not null,
    message_key   text        not null,
    payload       bytea       not null,
    created_at    timestamptz not null default now(),
    published_at  timestamptz
);

create index outbox_event_unpublished on outbox_event (id) where published_at is null;
