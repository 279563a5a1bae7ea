package io.plumbline.judge.assembly;

import io.micrometer.core.instrument.MeterRegistry;
import io.plumbline.common.api.Bytea;
import io.plumbline.judge.catalog.MetricCatalog;
import io.plumbline.judge.intake.NormalizedSpanHandler;
import io.plumbline.judge.judging.RecordJudging;
import io.plumbline.proto.common.v1.Level;
import io.plumbline.judge.normalize.NormalizedSpan;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.jboss.logging.Logger;

/**
 * The stage after the intake: the spans of a poll of Kafka records are written into the assembly state (their traces,
 * their sessions, the spans themselves) in one database transaction, with the span records that span metrics will judge
 * (queued as assembled records of level SPAN, judged by {@link AssemblyCloser} like traces and sessions). This happens
 * before the record's offset is committed, so a crash or a rebalance re-reads the record and finds its spans already
 * there (writes are idempotent on trace and span id): the state is in PostgreSQL, never only in memory, and the
 * consumer never waits for the judge provider.
 *
 * <p>A span of a trace already assembled, or of a session already closed, is late: it is counted
 * ({@code plumbline_assembly_late_spans_total}) and the closed record is not judged again. A redelivered span that was
 * stored before its trace closed is not late.
 */
@ApplicationScoped
public class SpanAssembly implements NormalizedSpanHandler {

    private static final Logger LOG = Logger.getLogger(SpanAssembly.class);

    private final Pool pool;
    private final RecordJudging judging;
    private final AssemblyConfig config;
    private final MeterRegistry meters;
    private final MetricCatalog catalog;
    private final AssemblyCloser closer;

    SpanAssembly(Pool pool, RecordJudging judging, AssemblyConfig config, MeterRegistry meters, MetricCatalog catalog,
            AssemblyCloser closer) {
        this.pool = pool;
        this.closer = closer;
        this.catalog = catalog;
        this.judging = judging;
        this.config = config;
        this.meters = meters;
    }

    @Override
    public Uni<Void> handle(List<NormalizedSpan> spans) {
        if (spans.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        // Which span records to queue depends on the metrics: a (re)started replica waits for its catalog, and the
        // record waits in Kafka meanwhile (its offset is not committed).
        return catalog.whenLoaded().chain(() -> store(spans));
    }

    /**
     * Writes the spans into the assembly state, a few set-based statements for any number of spans (arrays unnested
     * by PostgreSQL), in one transaction; transient database failures are retried until they pass. Traces and sessions
     * are locked in id order, so that concurrent transactions (other partitions, other replicas) cannot deadlock.
     */
    Uni<Void> store(List<NormalizedSpan> spans) {
        Map<String, List<NormalizedSpan>> byTrace = new TreeMap<>();
        List<NormalizedSpan> toJudge = new ArrayList<>();
        for (NormalizedSpan span : spans) {
            byTrace.computeIfAbsent(span.traceId(), t -> new ArrayList<>()).add(span);
            if (!judging.due(span.snapshot()).isEmpty()) {
                toJudge.add(span); // a span of no GenAI convention may be due with content a binding names
            } else if (!span.hasGenAiContent()) {
                meters.counter("plumbline.judge.spans.skipped", "reason", "no_genai_content").increment();
            }
        }
        return Uni.createFrom().deferred(() -> pool.withTransaction(connection -> upsertTraces(connection, byTrace)
                        .chain(openTraces -> {
                            Late late = new Late();
                            return lateSpansOfClosedTraces(connection, byTrace, openTraces, late)
                                    .chain(() -> insertSpans(connection, byTrace, openTraces))
                                    .chain(() -> upsertSessions(connection, byTrace, openTraces, late))
                                    .chain(() -> queueSpanRecords(connection, toJudge))
                                    .replaceWith(late);
                        })))
                .onFailure().invoke(failure -> {
                    meters.counter("plumbline.consumer.retries", "channel", "otlp-spans").increment();
                    LOG.warnf("Storing spans for assembly failed, retrying: %s", failure.toString());
                })
                .onFailure().retry().withBackOff(Duration.ofMillis(200), Duration.ofSeconds(10)).indefinitely()
                .invoke(late -> {
                    meters.counter("plumbline.assembly.spans.stored").increment(spans.size());
                    if (!toJudge.isEmpty()) {
                        meters.counter("plumbline.assembly.records", "level", "span").increment(toJudge.size());
                        closer.claimSoon(); // span records are judged as they arrive, not on the closer's next tick
                    }
                    // counted once the transaction committed, so that a retried transaction does not count twice
                    if (late.traceSpans > 0) {
                        meters.counter("plumbline.assembly.late.spans", "level", "trace").increment(late.traceSpans);
                    }
                    if (late.sessionSpans > 0) {
                        meters.counter("plumbline.assembly.late.spans", "level", "session").increment(late.sessionSpans);
                    }
                })
                .replaceWithVoid();
    }

    /** Upserts every trace of the spans; returns the open ones (a closed trace changes nothing) with their session. */
    private Uni<Map<String, String>> upsertTraces(SqlConnection connection, Map<String, List<NormalizedSpan>> byTrace) {
        int n = byTrace.size();
        String[] traceIds = new String[n];
        String[] projects = new String[n];
        String[] sessions = new String[n];
        Boolean[] rootsEnded = new Boolean[n];
        int i = 0;
        for (Map.Entry<String, List<NormalizedSpan>> trace : byTrace.entrySet()) {
            List<NormalizedSpan> traceSpans = trace.getValue();
            traceIds[i] = trace.getKey();
            projects[i] = traceSpans.get(0).snapshot().getRecord().getProjectId();
            sessions[i] = traceSpans.stream().map(s -> s.snapshot().getSessionId()).filter(s -> !s.isEmpty())
                    .findFirst().orElse("");
            rootsEnded[i] = traceSpans.stream().anyMatch(s -> s.isRoot() && s.endTimeUnixNano() > 0);
            i++;
        }
        return connection.preparedQuery("""
                        insert into assembly_trace (trace_id, project_id, session_id, root_ended, first_span_at, last_span_at)
                        select trace_id, project_id, session_id, root_ended, now(), now()
                          from unnest($1::text[], $2::text[], $3::text[], $4::boolean[])
                               as t (trace_id, project_id, session_id, root_ended)
                        on conflict (trace_id) do update set last_span_at = now(),
                            root_ended = assembly_trace.root_ended or excluded.root_ended,
                            session_id = case when assembly_trace.session_id = '' then excluded.session_id
                                              else assembly_trace.session_id end
                        where assembly_trace.closed_at is null
                        returning trace_id, session_id""")
                .execute(Tuple.of(traceIds, projects, sessions, rootsEnded))
                .map(rows -> {
                    Map<String, String> open = new HashMap<>();
                    rows.forEach(row -> open.put(row.getString("trace_id"), row.getString("session_id")));
                    return open;
                });
    }

    /** Spans of traces assembled already are late, unless they were stored before the trace closed (redelivery). */
    private Uni<Void> lateSpansOfClosedTraces(SqlConnection connection, Map<String, List<NormalizedSpan>> byTrace,
            Map<String, String> openTraces, Late late) {
        List<String> closed = byTrace.keySet().stream().filter(t -> !openTraces.containsKey(t)).toList();
        if (closed.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return connection.preparedQuery(
                        "select trace_id, unnest(span_ids) as span_id from assembly_span_batch where trace_id = any($1)")
                .execute(Tuple.of(closed.toArray(String[]::new)))
                .invoke(rows -> {
                    Set<String> known = new HashSet<>();
                    rows.forEach(row -> known.add(row.getString("trace_id") + "/" + row.getString("span_id")));
                    for (String traceId : closed) {
                        late.traceSpans += byTrace.get(traceId).stream()
                                .filter(s -> !known.contains(traceId + "/" + s.spanId())).count();
                    }
                })
                .replaceWithVoid();
    }

    /**
     * Stores the spans of open traces, a row per trace for the spans of this write (a batch, named by its smallest span
     * id). Receivers deliver at least once: a batch stored already is left as it is, and a span that comes again in
     * another batch is stored twice and read once ({@link AssemblyCloser}).
     */
    private Uni<Void> insertSpans(SqlConnection connection, Map<String, List<NormalizedSpan>> byTrace,
            Map<String, String> openTraces) {
        List<NormalizedSpan> spans = byTrace.entrySet().stream().filter(t -> openTraces.containsKey(t.getKey()))
                .flatMap(t -> t.getValue().stream()).toList();
        if (spans.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        Map<String, String> batchIds = new HashMap<>();
        for (NormalizedSpan span : spans) {
            batchIds.merge(span.traceId(), span.spanId(), (a, b) -> a.compareTo(b) <= 0 ? a : b);
        }
        int n = spans.size();
        String[] traceIds = new String[n];
        String[] batches = new String[n];
        String[] spanIds = new String[n];
        Long[] starts = new Long[n];
        Boolean[] roots = new Boolean[n];
        Buffer[] snapshots = new Buffer[n];
        for (int i = 0; i < n; i++) {
            NormalizedSpan span = spans.get(i);
            traceIds[i] = span.traceId();
            batches[i] = batchIds.get(span.traceId());
            spanIds[i] = span.spanId();
            starts[i] = span.startTimeUnixNano();
            roots[i] = span.isRoot();
            snapshots[i] = Bytea.wrap(span.snapshotBytes());
        }
        return connection.preparedQuery("""
                        insert into assembly_span_batch (trace_id, batch_id, span_ids, start_ns, roots, snapshots)
                        select trace_id, batch_id, array_agg(span_id order by n), array_agg(start_ns order by n),
                               array_agg(root order by n), array_agg(snapshot order by n)
                          from unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::boolean[], $6::bytea[])
                               with ordinality as s (trace_id, batch_id, span_id, start_ns, root, snapshot, n)
                         group by trace_id, batch_id
                        on conflict do nothing""")
                .execute(Tuple.of(traceIds, batches, spanIds, starts, roots, snapshots)).replaceWithVoid();
    }

    /**
     * Marks the sessions of open traces active (and ended, when a span says so); the spans of a session that closed
     * already are late at the session level (their trace is still assembled).
     */
    private Uni<Void> upsertSessions(SqlConnection connection, Map<String, List<NormalizedSpan>> byTrace,
            Map<String, String> openTraces, Late late) {
        Map<List<String>, SessionSpans> sessions = new TreeMap<>(Comparator.<List<String>, String>comparing(k -> k.get(0))
                .thenComparing(k -> k.get(1)));
        for (Map.Entry<String, List<NormalizedSpan>> trace : byTrace.entrySet()) {
            String session = openTraces.get(trace.getKey());
            if (session == null || session.isEmpty()) {
                continue;
            }
            List<NormalizedSpan> traceSpans = trace.getValue();
            String project = traceSpans.get(0).snapshot().getRecord().getProjectId();
            SessionSpans entry = sessions.computeIfAbsent(List.of(project, session), k -> new SessionSpans());
            entry.spans += traceSpans.size();
            entry.ended |= traceSpans.stream().anyMatch(s -> "true".equalsIgnoreCase(
                    s.snapshot().getAttributesMap().get(config.sessionEndAttribute())));
        }
        if (sessions.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        String[] projects = sessions.keySet().stream().map(k -> k.get(0)).toArray(String[]::new);
        String[] sessionIds = sessions.keySet().stream().map(k -> k.get(1)).toArray(String[]::new);
        Boolean[] ended = sessions.values().stream().map(e -> e.ended).toArray(Boolean[]::new);
        return connection.preparedQuery("""
                        insert into assembly_session (project_id, session_id, last_span_at, ended)
                        select project_id, session_id, now(), ended
                          from unnest($1::text[], $2::text[], $3::boolean[]) as s (project_id, session_id, ended)
                        on conflict (project_id, session_id) do update set last_span_at = now(),
                            ended = assembly_session.ended or excluded.ended
                        where assembly_session.closed_at is null
                        returning project_id, session_id""")
                .execute(Tuple.of(projects, sessionIds, ended))
                .invoke(rows -> {
                    Set<List<String>> active = new HashSet<>();
                    rows.forEach(row -> active.add(List.of(row.getString("project_id"), row.getString("session_id"))));
                    sessions.forEach((key, entry) -> {
                        if (!active.contains(key)) {
                            late.sessionSpans += entry.spans;
                        }
                    });
                })
                .replaceWithVoid();
    }

    /** Queues the span records that span metrics select, to be judged like traces and sessions. */
    private Uni<Void> queueSpanRecords(SqlConnection connection, List<NormalizedSpan> toJudge) {
        if (toJudge.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        int n = toJudge.size();
        String[] projects = new String[n];
        String[] recordIds = new String[n];
        Buffer[] snapshots = new Buffer[n];
        for (int i = 0; i < n; i++) {
            var snapshot = toJudge.get(i).snapshot();
            projects[i] = snapshot.getRecord().getProjectId();
            recordIds[i] = snapshot.getRecord().getRecordId();
            snapshots[i] = Bytea.wrap(toJudge.get(i).snapshotBytes());
        }
        return connection.preparedQuery("""
                        insert into assembled_record (project_id, level, record_id, snapshot, closed_at)
                        select project_id, $2, record_id, snapshot, now()
                          from unnest($1::text[], $3::text[], $4::bytea[]) as r (project_id, record_id, snapshot)
                        on conflict do nothing""")
                .execute(Tuple.of(projects, Level.LEVEL_SPAN.name(), recordIds, snapshots)).replaceWithVoid();
    }

    /** The spans of one session in this write, and whether one of them ends it. */
    private static final class SessionSpans {
        long spans;
        boolean ended;
    }

    /** Late spans found in one transaction. */
    private static final class Late {
        long traceSpans;
        long sessionSpans;
    }
}
