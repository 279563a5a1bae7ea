-- Trace and session snapshots run to tens of kilobytes, and PostgreSQL compresses every value over about 2 KB as it
-- stores it. Its default (pglz) costs several times the CPU of lz4 for these values, and every closed trace is stored
-- (the intake benchmark: most of PostgreSQL's share of storing trace records). Values stored before keep their method;
-- both read alike. A server built without lz4 keeps pglz.
do $$
begin
    alter table assembled_record alter column snapshot set compression lz4;
    alter table evaluation alter column snapshot set compression lz4;
    alter table evaluation alter column evaluation set compression lz4;
exception when feature_not_supported then
    raise notice 'this PostgreSQL has no lz4: snapshots stay compressed with pglz';
end $$;
