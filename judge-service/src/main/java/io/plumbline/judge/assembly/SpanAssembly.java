package io.plumbline.judge.assembly;

import io.micrometer.core.instrument.MeterRegistry;
import io.plumbline.judge.catalog.MetricCatalog;
import io.plumbline.judge.intake.NormalizedSpanHandler;
import io.plumbline.judge.judging.RecordJudging;
import io.plumbline.proto.common.v1.Level;
import io.plumbline.judge.normalize.NormalizedSpan;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * The stage after the intake: the spans of one Kafka record are written into the assembly state (their trace, their
 * session, the spans themselves) in one database transaction, with the span records that span metrics will judge
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

    SpanAssembly(Pool pool, RecordJudging judging, AssemblyConfig config, MeterRegistry meters, MetricCatalog catalog) {
        this.pool = pool;
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

    /** Writes the spans into the assembly state; transient database failures are retried until they pass. */
    Uni<Void> store(List<NormalizedSpan> spans) {
        Map<String, List<NormalizedSpan>> byTrace = new LinkedHashMap<>();
        List<Tuple> spanRecords = new ArrayList<>();
        for (NormalizedSpan span : spans) {
            byTrace.computeIfAbsent(span.traceId(), t -> new ArrayList<>()).add(span);
            if (!span.hasGenAiContent()) {
                meters.counter("plumbline.judge.spans.skipped", "reason", "no_genai_content").increment();
            } else if (!judging.due(span.snapshot()).isEmpty()) {
                var record = span.snapshot().getRecord();
                spanRecords.add(Tuple.of(record.getProjectId(), Level.LEVEL_SPAN.name(), record.getRecordId(),
                        Buffer.buffer(span.snapshot().toByteArray())));
            }
        }
        return Uni.createFrom().deferred(() -> pool.withTransaction(connection -> Multi.createFrom()
                        .iterable(byTrace.values())
                        .onItem().transformToUniAndConcatenate(trace -> storeTrace(connection, trace))
                        .collect().in(Late::new, Late::add)
                        .call(() -> spanRecords.isEmpty() ? Uni.createFrom().voidItem() : connection.preparedQuery(
                                        "insert into assembled_record (project_id, level, record_id, snapshot, closed_at)"
                                        + " values ($1, $2, $3, $4, now()) on conflict do nothing")
                                .executeBatch(spanRecords).replaceWithVoid())))
                .onFailure().invoke(failure -> {
                    meters.counter("plumbline.consumer.retries", "channel", "otlp-spans").increment();
                    LOG.warnf("Storing spans for assembly failed, retrying: %s", failure.toString());
                })
                .onFailure().retry().withBackOff(Duration.ofMillis(200), Duration.ofSeconds(10)).indefinitely()
                .invoke(late -> {
                    meters.counter("plumbline.assembly.spans.stored").increment(spans.size());
                    if (!spanRecords.isEmpty()) {
                        meters.counter("plumbline.assembly.records", "level", "span").increment(spanRecords.size());
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

    private Uni<Late> storeTrace(SqlConnection connection, List<NormalizedSpan> spans) {
        NormalizedSpan first = spans.get(0);
        String project = first.snapshot().getRecord().getProjectId();
        String session = spans.stream().map(s -> s.snapshot().getSessionId()).filter(s -> !s.isEmpty()).findFirst()
                .orElse("");
        boolean rootEnded = spans.stream().anyMatch(s -> s.isRoot() && s.endTimeUnixNano() > 0);
        boolean sessionEnded = spans.stream().anyMatch(s -> "true".equalsIgnoreCase(
                s.snapshot().getAttributesMap().get(config.sessionEndAttribute())));
        String[] spanIds = spans.stream().map(NormalizedSpan::spanId).toArray(String[]::new);
        return connection.preparedQuery("""
                        insert into assembly_trace (trace_id, project_id, session_id, root_ended, first_span_at, last_span_at)
                        values ($1, $2, $3, $4, now(), now())
                        on conflict (trace_id) do update set last_span_at = now(),
                            root_ended = assembly_trace.root_ended or excluded.root_ended,
                            session_id = case when assembly_trace.session_id = '' then excluded.session_id
                                              else assembly_trace.session_id end
                        where assembly_trace.closed_at is null
                        returning session_id""")
                .execute(Tuple.of(first.traceId(), project, session, rootEnded))
                .chain(rows -> {
                    if (rows.rowCount() == 0) {
                        // the trace was assembled already: spans not stored before are late
                        return connection.preparedQuery(
                                        "select count(*) from assembly_span where trace_id = $1 and span_id = any($2)")
                                .execute(Tuple.of(first.traceId(), spanIds))
                                .map(known -> new Late(spanIds.length - known.iterator().next().getLong(0), 0));
                    }
                    String traceSession = rows.iterator().next().getString("session_id");
                    List<Tuple> batch = spans.stream().map(s -> Tuple.of(s.traceId(), s.spanId(), s.startTimeUnixNano(),
                            s.isRoot(), Buffer.buffer(s.snapshot().toByteArray()))).toList();
                    Uni<Void> stored = connection.preparedQuery("""
                                    insert into assembly_span (trace_id, span_id, start_ns, root, snapshot)
                                    values ($1, $2, $3, $4, $5) on conflict do nothing""")
                            .executeBatch(batch).replaceWithVoid();
                    if (traceSession.isEmpty()) {
                        return stored.replaceWith(new Late(0, 0));
                    }
                    return stored.chain(() -> connection.preparedQuery("""
                                    insert into assembly_session (project_id, session_id, last_span_at, ended)
                                    values ($1, $2, now(), $3)
                                    on conflict (project_id, session_id) do update set last_span_at = now(),
                                        ended = assembly_session.ended or excluded.ended
                                    where assembly_session.closed_at is null""")
                            .execute(Tuple.of(project, traceSession, sessionEnded))
                            .map(sessionRows -> new Late(0, sessionRows.rowCount() == 0 ? spans.size() : 0)));
                });
    }

    /** Late spans found in one transaction. */
    private static final class Late {
        long traceSpans;
        long sessionSpans;

        Late() {
        }

        Late(long traceSpans, long sessionSpans) {
            this.traceSpans = traceSpans;
            this.sessionSpans = sessionSpans;
        }

        void add(Late other) {
            traceSpans += other.traceSpans;
            sessionSpans += other.sessionSpans;
        }
    }
}
