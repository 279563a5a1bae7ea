package io.plumbline.judge.assembly;

import io.micrometer.core.instrument.MeterRegistry;
import io.plumbline.common.api.Bytea;
import io.plumbline.judge.catalog.MetricCatalog;
import io.plumbline.judge.evaluation.GroupedWrites;
import io.plumbline.judge.judging.RecordJudging;
import io.plumbline.judge.normalize.ContentHash.HashedSnapshot;
import io.plumbline.proto.common.v1.Level;
import io.plumbline.proto.common.v1.RecordRef;
import io.plumbline.proto.judge.v1.RecordSnapshot;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Closes idle traces and sessions into assembled records, and judges assembled records (spans, traces, sessions) with
 * the metrics of their level. Safe with any number of replicas and restarts:
 * <ul>
 * <li>closing takes idle rows with {@code FOR UPDATE SKIP LOCKED}, and in the same transaction stores the record
 * (primary key on project, level and record id: assembled once) and marks the rows closed;</li>
 * <li>judging claims pending records with a lease ({@code claimed_until}), judges them, and marks them judged; a
 * replica that dies mid-way leaves its claim to expire, and the next one finds the evaluations already stored
 * (skipped, not judged again).</li>
 * </ul>
 * Idleness is measured on the database clock (arrival of the last span), one clock for every replica.
 */
@ApplicationScoped
public class AssemblyCloser {

    private static final Logger LOG = Logger.getLogger(AssemblyCloser.class);
    /** About a megabyte of stored spans per query, for traces of ten spans. */
    private static final int TRACES_PER_SPAN_QUERY = 64;

    private final Pool pool;
    private final AssemblyConfig config;
    private final RecordJudging judging;
    private final MeterRegistry meters;
    private final MetricCatalog catalog;
    private final int concurrency;
    private final int refillStep;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicBoolean claiming = new AtomicBoolean();
    private final AtomicBoolean claimAgain = new AtomicBoolean();
    private final GroupedWrites<RecordRef, Boolean> judgedMarks;
    private volatile boolean stopping;

    AssemblyCloser(Pool pool, AssemblyConfig config, RecordJudging judging, MeterRegistry meters, MetricCatalog catalog,
            @ConfigProperty(name = "plumbline.judging.concurrency", defaultValue = "64") int concurrency) {
        this.pool = pool;
        this.config = config;
        this.judging = judging;
        this.meters = meters;
        this.catalog = catalog;
        this.concurrency = concurrency;
        // claiming again for every finished judgment would be a query per judgment; a tenth of the room is a batch
        this.refillStep = Math.max(1, Math.min(config.batchSize(), concurrency / 10));
        this.judgedMarks = new GroupedWrites<>("judged marks", 500, Duration.ofMillis(20), 2, this::markJudged);
    }

    @Scheduled(every = "${plumbline.assembly.close-interval:1s}", delayed = "${plumbline.assembly.close-interval:1s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    Uni<Void> closeIdle() {
        return closeTraces().chain(this::closeSessions)
                .onFailure().recoverWithUni(failure -> tryAgainLater("Closing idle traces and sessions", failure));
    }

    /**
     * Claims pending records for judging while there is room (up to the judging concurrency in flight on this replica),
     * and launches each judgment on its own: a judgment that waits for the provider holds one slot, never the others.
     * Runs on the schedule, and again whenever judgments finish and leave room.
     */
    @Scheduled(every = "${plumbline.assembly.close-interval:1s}", delayed = "${plumbline.assembly.close-interval:1s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    Uni<Void> judgeAssembled() {
        if (stopping) {
            return Uni.createFrom().voidItem(); // judgments finishing during shutdown claim no more
        }
        if (!catalog.isLoaded()) {
            return Uni.createFrom().voidItem(); // judging with an incomplete catalog would skip metrics
        }
        if (!claiming.compareAndSet(false, true)) {
            claimAgain.set(true); // the claim under way may have missed what this call is for
            return Uni.createFrom().voidItem();
        }
        claimAgain.set(false);
        return fill()
                .onFailure().recoverWithUni(failure -> tryAgainLater("Claiming assembled records", failure))
                .eventually(() -> {
                    claiming.set(false);
                    if (claimAgain.getAndSet(false)) {
                        claimSoon();
                    }
                });
    }

    /** Claims now rather than on the next tick: records to judge were just stored, or room was just freed. */
    void claimSoon() {
        judgeAssembled().subscribe().with(ignored -> { }, failure -> { });
    }

    private Uni<Void> fill() {
        int room = concurrency - inFlight.get();
        if (room <= 0) {
            return Uni.createFrom().voidItem();
        }
        int limit = Math.min(room, config.batchSize());
        return claim(limit).chain(records -> judging.unjudged(records).invoke(due -> {
            for (int i = 0; i < records.size(); i++) {
                launch(records.get(i).record(), due.get(i));
            }
        }).replaceWith(records.size())).chain(claimed -> claimed == limit ? fill() : Uni.createFrom().voidItem());
    }

    /** Judges one claimed record; as judgments finish, the freed room is claimed again at once, not on the next tick. */
    private void launch(RecordSnapshot record, List<RecordJudging.Work> due) {
        inFlight.incrementAndGet();
        judging.judge(due, concurrency).chain(() -> markJudged(record))
                .eventually(() -> {
                    if (concurrency - inFlight.decrementAndGet() >= refillStep) {
                        claimSoon();
                    }
                })
                .subscribe().with(ignored -> { }, failure -> LOG.logf(stopping ? Logger.Level.DEBUG : Logger.Level.WARN,
                        "Judging %s failed; it is taken up again after its lease: %s",
                        record.getRecord().getRecordId(), failure.toString()));
    }

    /** From here on the database pool may close under a run in progress: its failure is expected, not a warning. */
    void stopping(@Observes ShutdownEvent event) {
        stopping = true;
    }

    private Uni<Void> tryAgainLater(String what, Throwable failure) {
        LOG.logf(stopping ? Logger.Level.DEBUG : Logger.Level.WARN, "%s failed, trying again later: %s", what, failure);
        return Uni.createFrom().voidItem();
    }

    /** Assembles idle traces; repeats while full batches come back. */
    private Uni<Void> closeTraces() {
        return pool.withTransaction(connection -> connection.preparedQuery("""
                        select trace_id, project_id from assembly_trace
                        where closed_at is null
                          and ((root_ended and last_span_at < now() - make_interval(secs => $1))
                               or last_span_at < now() - make_interval(secs => $2))
                        order by last_span_at limit $3 for update skip locked""")
                .execute(Tuple.of(seconds(config.traceIdleGap()), seconds(config.orphanTraceGap()), config.batchSize()))
                .chain(rows -> {
                    Map<String, String> projects = new LinkedHashMap<>();
                    rows.forEach(row -> projects.put(row.getString("trace_id"), row.getString("project_id")));
                    if (projects.isEmpty()) {
                        return Uni.createFrom().item(0);
                    }
                    String[] traceIds = projects.keySet().toArray(String[]::new);
                    return spansOfTraces(connection, traceIds)
                            .chain(spans -> {
                                Map<String, List<RecordAssembler.StoredSpan>> byTrace = new LinkedHashMap<>();
                                spans.forEach(s -> byTrace.computeIfAbsent(s.traceId(), t -> new ArrayList<>()).add(s));
                                List<HashedSnapshot> records = byTrace.entrySet().stream().map(e -> RecordAssembler.trace(
                                        projects.get(e.getKey()), e.getKey(), e.getValue(), config.maxRecordBytes())).toList();
                                return storeRecords(connection, records)
                                        .chain(() -> connection.preparedQuery(
                                                        "update assembly_trace set closed_at = now() where trace_id = any($1)")
                                                .execute(Tuple.of((Object) traceIds)))
                                        .replaceWith(traceIds.length);
                            });
                }))
                .chain(closed -> closed >= config.batchSize() ? closeTraces() : Uni.createFrom().voidItem());
    }

    /** Closes sessions that went idle, or were ended and their traces went idle; repeats while full batches come back. */
    private Uni<Void> closeSessions() {
        return pool.withTransaction(connection -> connection.preparedQuery("""
                        select project_id, session_id from assembly_session
                        where closed_at is null
                          and ((ended and last_span_at < now() - make_interval(secs => $1))
                               or last_span_at < now() - make_interval(secs => $2))
                        order by last_span_at limit $3 for update skip locked""")
                .execute(Tuple.of(seconds(config.traceIdleGap()), seconds(config.sessionIdleGap()), config.batchSize()))
                .chain(rows -> {
                    List<String[]> sessions = new ArrayList<>();
                    rows.forEach(row -> sessions.add(new String[] {row.getString("project_id"), row.getString("session_id")}));
                    return Multi.createFrom().iterable(sessions)
                            .onItem().transformToUniAndConcatenate(session -> closeSession(connection, session[0], session[1]))
                            .collect().asList().replaceWith(sessions.size());
                }))
                .chain(closed -> closed >= config.batchSize() ? closeSessions() : Uni.createFrom().voidItem());
    }

    private Uni<Void> closeSession(SqlConnection connection, String projectId, String sessionId) {
        return spans(connection, """
                        select b.trace_id, b.span_ids, b.start_ns, b.roots, b.snapshots
                        from assembly_span_batch b join assembly_trace t using (trace_id)
                        where t.project_id = $1 and t.session_id = $2""",
                        Tuple.of(projectId, sessionId))
                .chain(spans -> (spans.isEmpty() ? Uni.createFrom().voidItem()
                        : storeRecords(connection, List.of(RecordAssembler.session(projectId, sessionId, spans,
                                config.maxRecordBytes()))))
                        .chain(() -> connection.preparedQuery("update assembly_session set closed_at = now()"
                                + " where project_id = $1 and session_id = $2").execute(Tuple.of(projectId, sessionId))))
                .replaceWithVoid();
    }

    /**
     * The stored spans of these traces, read a few traces per query: the PostgreSQL client gathers a large result in
     * one growing heap buffer, copied again as it grows (a thousand traces, about 15 MB, cost more copying and garbage
     * collection than decoding their rows).
     */
    private Uni<List<RecordAssembler.StoredSpan>> spansOfTraces(SqlConnection connection, String[] traceIds) {
        List<String[]> chunks = new ArrayList<>();
        for (int from = 0; from < traceIds.length; from += TRACES_PER_SPAN_QUERY) {
            chunks.add(Arrays.copyOfRange(traceIds, from, Math.min(traceIds.length, from + TRACES_PER_SPAN_QUERY)));
        }
        return Multi.createFrom().iterable(chunks)
                .onItem().transformToUniAndConcatenate(chunk -> spans(connection, """
                                select trace_id, span_ids, start_ns, roots, snapshots from assembly_span_batch
                                where trace_id = any($1)""", Tuple.of((Object) chunk)))
                .collect().in(ArrayList::new, List::addAll);
    }

    /**
     * The stored spans of the span batches the query selects, in start order (then span id), each span once (a span
     * delivered again can be in two batches). Sorted here, not by PostgreSQL: a batch of a thousand traces is megabytes
     * of snapshots, which a sort in the database spills to disk.
     */
    private Uni<List<RecordAssembler.StoredSpan>> spans(SqlConnection connection, String sql, Tuple parameters) {
        return connection.preparedQuery(sql).execute(parameters).map(rows -> {
            List<BatchedSpan> batched = new ArrayList<>();
            for (Row row : rows) {
                String traceId = row.getString("trace_id");
                String[] spanIds = row.getArrayOfStrings("span_ids");
                Long[] starts = row.getArrayOfLongs("start_ns");
                Boolean[] roots = row.getArrayOfBooleans("roots");
                Buffer[] snapshots = row.getDelegate().getArrayOfBuffers("snapshots");
                for (int i = 0; i < spanIds.length; i++) {
                    batched.add(new BatchedSpan(traceId, spanIds[i], starts[i], roots[i], snapshots[i]));
                }
            }
            batched.sort(Comparator.comparingLong(BatchedSpan::startNs).thenComparing(BatchedSpan::spanId));
            Set<String> seen = new HashSet<>();
            List<RecordAssembler.StoredSpan> spans = new ArrayList<>(batched.size());
            for (BatchedSpan span : batched) {
                if (seen.add(span.traceId() + "/" + span.spanId())) {
                    spans.add(new RecordAssembler.StoredSpan(span.traceId(), span.root(),
                            Bytea.parse(span.snapshot(), RecordSnapshot.getDefaultInstance())));
                }
            }
            return spans;
        });
    }

    /** A span of a stored batch, not parsed yet. */
    private record BatchedSpan(String traceId, String spanId, long startNs, boolean root, Buffer snapshot) {
    }

    /** Stores assembled records in one statement; a record stored before (its state was forgotten) is counted late. */
    private Uni<Void> storeRecords(SqlConnection connection, List<HashedSnapshot> records) {
        if (records.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        int n = records.size();
        String[] projects = new String[n];
        String[] levels = new String[n];
        String[] recordIds = new String[n];
        Buffer[] snapshots = new Buffer[n];
        Boolean[] nothingToJudge = new Boolean[n];
        // before the catalog is loaded (a restart, a new replica) no metric is known yet: every record stays to judge
        boolean catalogLoaded = catalog.isLoaded();
        for (int i = 0; i < n; i++) {
            RecordRef ref = records.get(i).snapshot().getRecord();
            projects[i] = ref.getProjectId();
            levels[i] = ref.getLevel().name();
            recordIds[i] = ref.getRecordId();
            snapshots[i] = Bytea.wrap(records.get(i).bytes());
            // no metric of its level in its project: stored as judged, so that no replica claims it for nothing
            nothingToJudge[i] = catalogLoaded && !judging.anyMetricFor(ref.getLevel(), ref.getProjectId());
        }
        return connection.preparedQuery("""
                        insert into assembled_record (project_id, level, record_id, snapshot, closed_at, judged_at)
                        select project_id, level, record_id, snapshot, now(), case when judged then now() end
                          from unnest($1::text[], $2::text[], $3::text[], $4::bytea[], $5::boolean[])
                               as r (project_id, level, record_id, snapshot, judged)
                        on conflict do nothing
                        returning level""")
                .execute(Tuple.of(projects, levels, recordIds, snapshots, nothingToJudge))
                .invoke(rows -> {
                    Map<String, Integer> stored = new LinkedHashMap<>();
                    rows.forEach(row -> stored.merge(row.getString("level"), 1, Integer::sum));
                    Map<String, Integer> offered = new LinkedHashMap<>();
                    for (String level : levels) {
                        offered.merge(level, 1, Integer::sum);
                    }
                    offered.forEach((level, count) -> {
                        String tag = Level.valueOf(level) == Level.LEVEL_TRACE ? "trace" : "session";
                        int inserted = stored.getOrDefault(level, 0);
                        meters.counter("plumbline.assembly.records", "level", tag).increment(inserted);
                        if (count > inserted) {
                            // spans of a record assembled earlier came after its state was forgotten
                            meters.counter("plumbline.assembly.late.records", "level", tag).increment(count - inserted);
                        }
                    });
                })
                .replaceWithVoid();
    }

    /**
     * Claims pending assembled records for judging (a lease, so that a dead replica's claim runs out), each with whether
     * it was claimed before: only such a record can have judgments stored already.
     */
    private Uni<List<RecordJudging.Claimed>> claim(int limit) {
        return pool.preparedQuery("""
                        with picked as (
                            select project_id, level, record_id, claimed_until is not null as claimed_before
                            from assembled_record
                            where judged_at is null and (claimed_until is null or claimed_until < now())
                            order by closed_at limit $2 for update skip locked)
                        update assembled_record r set claimed_until = now() + make_interval(secs => $1)
                        from picked
                        where (r.project_id, r.level, r.record_id) = (picked.project_id, picked.level, picked.record_id)
                        returning r.snapshot, picked.claimed_before""")
                .execute(Tuple.of(seconds(config.judgeLease()), limit))
                .map(rows -> {
                    List<RecordJudging.Claimed> records = new ArrayList<>();
                    rows.forEach(row -> records.add(new RecordJudging.Claimed(Bytea.parse(
                            row.getDelegate().getBuffer("snapshot"), RecordSnapshot.getDefaultInstance()),
                            row.getBoolean("claimed_before"))));
                    return records;
                });
    }

    private Uni<Void> markJudged(RecordSnapshot record) {
        return judgedMarks.submit(record.getRecord()).replaceWithVoid();
    }

    /** Marks many judged records in one statement. */
    private Uni<List<Boolean>> markJudged(List<RecordRef> records) {
        return pool.preparedQuery("""
                        update assembled_record set judged_at = now()
                        where (project_id, level, record_id) in (
                            select * from unnest($1::text[], $2::text[], $3::text[]))""")
                .execute(Tuple.of(records.stream().map(RecordRef::getProjectId).toArray(String[]::new),
                        records.stream().map(r -> r.getLevel().name()).toArray(String[]::new),
                        records.stream().map(RecordRef::getRecordId).toArray(String[]::new)))
                .map(rows -> records.stream().map(r -> true).toList());
    }

    /** Forgets the assembly state of traces and sessions closed longer than the retention ago. */
    @Scheduled(every = "10m", delayed = "1m", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    Uni<Void> forgetOld() {
        double retention = seconds(config.retention());
        return pool.withTransaction(connection -> connection.preparedQuery("""
                        delete from assembly_span_batch where trace_id in (
                            select trace_id from assembly_trace t where closed_at < now() - make_interval(secs => $1)
                              and (session_id = '' or exists (select 1 from assembly_session s
                                   where s.project_id = t.project_id and s.session_id = t.session_id
                                     and s.closed_at < now() - make_interval(secs => $1))))""")
                .execute(Tuple.of(retention))
                .chain(() -> connection.preparedQuery("""
                        delete from assembly_trace t where closed_at < now() - make_interval(secs => $1)
                          and not exists (select 1 from assembly_span_batch b where b.trace_id = t.trace_id)""")
                        .execute(Tuple.of(retention)))
                .chain(() -> connection.preparedQuery("delete from assembly_session where closed_at < now()"
                        + " - make_interval(secs => $1)").execute(Tuple.of(retention))))
                .replaceWithVoid()
                .onFailure().recoverWithUni(failure -> tryAgainLater("Forgetting old assembly state", failure));
    }

    private static double seconds(java.time.Duration duration) {
        return duration.toMillis() / 1000.0;
    }
}
