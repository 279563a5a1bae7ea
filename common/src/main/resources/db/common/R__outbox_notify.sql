-- Wakes the outbox relays (io.plumbline.common.outbox.OutboxNotifications) when a transaction that wrote outbox events
-- commits: PostgreSQL delivers a notification at commit, never for a rolled-back transaction, and sends one per
-- transaction however many statements raised it. Repeatable (re-applied when this file changes), so that it reaches
-- databases migrated before it existed.
create or replace function outbox_event_notify() returns trigger language plpgsql as $$
begin
    perform pg_notify('outbox_event', '');
    return null;
end
$$;

drop trigger if exists outbox_event_notify on outbox_event;
create trigger outbox_event_notify after insert on outbox_event
    for each statement execute function outbox_event_notify();
