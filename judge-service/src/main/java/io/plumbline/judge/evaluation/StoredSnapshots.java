package io.plumbline.judge.evaluation;

import io.plumbline.common.api.ProtoJson;
import io.plumbline.proto.common.v1.Level;
import io.plumbline.proto.judge.v1.RecordSnapshot;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The stored snapshots of records, for Evaluate's stored items, GetRecordSnapshot and recompute jobs. A record's
 * snapshots live in {@code assembled_record} (the record as assembled, once) and in {@code evaluation.snapshot} (what
 * each evaluation judged; a stored Evaluate call may have supplied it). Its <em>newest</em> snapshot is the one stored
 * last: the later of its assembled record ({@code closed_at}) and its evaluations ({@code created_at}). A span that no
 * metric selected has neither; while its trace's assembly state is kept ({@code plumbline.assembly.retention}) the span
 * as received ({@code assembly_span_batch}) is its snapshot, the last resort.
 */
@ApplicationScoped
public class StoredSnapshots {

    /** Record ids per query. */
    static final int CHUNK = 1000;

    private final Pool pool;

    StoredSnapshots(Pool pool) {
        this.pool = pool;
    }

    /** The newest stored snapshot of each record found, by record id; records without one are absent. */
    public Uni<Map<String, RecordSnapshot>> newest(String projectId, Level level, List<String> recordIds) {
        List<List<String>> chunks = new ArrayList<>();
        for (int from = 0; from < recordIds.size(); from += CHUNK) {
            chunks.add(recordIds.subList(from, Math.min(recordIds.size(), from + CHUNK)));
        }
        Map<String, RecordSnapshot> found = new HashMap<>();
        return Multi.createFrom().iterable(chunks)
                .onItem().transformToUniAndConcatenate(chunk -> newestOf(projectId, level, chunk).invoke(found::putAll))
                .collect().last().replaceWith(found);
    }

    private Uni<Map<String, RecordSnapshot>> newestOf(String projectId, Level level, List<String> recordIds) {
        String[] ids = recordIds.toArray(String[]::new);
        List<String> traceIds = new ArrayList<>();
        List<String> spanIds = new ArrayList<>();
        if (level == Level.LEVEL_SPAN) {
            for (String id : ids) {
                int slash = id.indexOf('/');
                if (slash > 0) {
                    traceIds.add(id.substring(0, slash));
                    spanIds.add(id.substring(slash + 1));
                }
            }
        }
        return pool.preparedQuery("""
                        select distinct on (record_id) record_id, snapshot from (
                            select record_id, snapshot, closed_at as stored_at, 1 as rank from assembled_record
                            where project_id = $1 and level = $2 and record_id = any($3)
                            union all
                            select record_id, snapshot, created_at, 1 from evaluation
                            where project_id = $1 and level = $2 and record_id = any($3)
                            union all
                            select b.trace_id || '/' || s.span_id, s.snapshot, t.last_span_at, 0
                            from assembly_span_batch b join assembly_trace t using (trace_id)
                                 cross join unnest(b.span_ids, b.snapshots) as s (span_id, snapshot)
                            where t.project_id = $1 and b.trace_id = any($4)
                              and (b.trace_id, s.span_id) in (select * from unnest($4::text[], $5::text[]))
                        ) stored
                        order by record_id, rank desc, stored_at desc""")
                .execute(Tuple.of(projectId, level.name(), ids, traceIds.toArray(String[]::new),
                        spanIds.toArray(String[]::new)))
                .map(rows -> {
                    Map<String, RecordSnapshot> found = new HashMap<>();
                    rows.forEach(row -> found.put(row.getString("record_id"), ProtoJson.parseBytes(
                            row.getBuffer("snapshot").getBytes(), RecordSnapshot.getDefaultInstance())));
                    return found;
                });
    }

    /** The snapshot an evaluation of the project judged; null when there is no such evaluation. */
    public Uni<RecordSnapshot> ofEvaluation(String projectId, UUID evaluationId) {
        return pool.preparedQuery("select snapshot from evaluation where id = $1 and project_id = $2")
                .execute(Tuple.of(evaluationId, projectId))
                .map(rows -> rows.size() == 0 ? null : ProtoJson.parseBytes(
                        rows.iterator().next().getBuffer("snapshot").getBytes(), RecordSnapshot.getDefaultInstance()));
    }
}
