package io.plumbline.judge.evaluation;

import io.plumbline.common.api.Bytea;
import io.plumbline.common.api.ProtoJson;
import io.plumbline.common.kafka.Topic;
import io.plumbline.common.metric.OutputTypes;
import io.plumbline.common.outbox.Outbox;
import io.plumbline.judge.budget.Budgets;
import io.plumbline.proto.judge.v1.Evaluation;
import io.plumbline.proto.judge.v1.EvaluationEvent;
import io.plumbline.proto.judge.v1.RecordSnapshot;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Stores the evaluations judged from the stream, many per transaction ({@link GroupedWrites}): the evaluation rows
 * (idempotent on version, record and content hash, as {@link EvaluationStore#store}), their events in the outbox, and
 * the bindings' token spending, in one transaction of a few set-based statements. At hundreds of judgments a second,
 * a transaction (and a budget row update) per judgment is what would limit the judging.
 */
@ApplicationScoped
public class StreamEvaluations {

    /** One judgment to store, with the binding spending its tokens. */
    public record Judged(Evaluation evaluation, RecordSnapshot snapshot, Budgets.Spending spending) {
    }

    private final Pool pool;
    private final Outbox outbox;
    private final Budgets budgets;
    private final GroupedWrites<Judged, Boolean> writes;

    StreamEvaluations(Pool pool, Outbox outbox, Budgets budgets,
            @ConfigProperty(name = "plumbline.judging.store-batch-size", defaultValue = "200") int batchSize,
            @ConfigProperty(name = "plumbline.judging.store-delay", defaultValue = "20ms") Duration delay) {
        this.pool = pool;
        this.outbox = outbox;
        this.budgets = budgets;
        this.writes = new GroupedWrites<>("evaluations", batchSize, delay, 4, this::write);
    }

    /** Stores the judgment; true if it was stored now, false if the same evaluation was stored before. */
    public Uni<Boolean> store(Judged judged) {
        return writes.submit(judged);
    }

    /** What an evaluation is idempotent on: a version judging one content of one record. */
    public record Key(String metricId, int version, String recordId, String contentHash) {
    }

    /**
     * Which of these judgments are stored already, in one query. Planned for each call ({@code plan_cache_mode}): a plan
     * cached while the table was nearly empty scans it for every key, seconds per call once it holds tens of thousands
     * of rows (measured in the benchmark), where a fresh plan probes the idempotency index.
     */
    public Uni<Set<Key>> stored(List<Key> keys) {
        return pool.withTransaction(connection -> connection.query("set local plan_cache_mode = force_custom_plan")
                .execute().chain(() -> connection.preparedQuery("""
                        select k.metric_id, k.metric_version, k.record_id, k.content_hash
                        from unnest($1::uuid[], $2::integer[], $3::text[], $4::text[])
                            as k (metric_id, metric_version, record_id, content_hash)
                        where exists (select 1 from evaluation e where e.metric_id = k.metric_id
                            and e.metric_version = k.metric_version and e.record_id = k.record_id
                            and e.content_hash = k.content_hash)""")
                .execute(Tuple.of(keys.stream().map(k -> UUID.fromString(k.metricId())).toArray(UUID[]::new),
                        keys.stream().map(Key::version).toArray(Integer[]::new),
                        keys.stream().map(Key::recordId).toArray(String[]::new),
                        keys.stream().map(Key::contentHash).toArray(String[]::new)))))
                .map(rows -> {
                    Set<Key> stored = new HashSet<>();
                    rows.forEach(row -> stored.add(new Key(row.getUUID("metric_id").toString(),
                            row.getInteger("metric_version"), row.getString("record_id"), row.getString("content_hash"))));
                    return stored;
                });
    }

    private Uni<List<Boolean>> write(List<Judged> group) {
        return pool.withTransaction(connection -> insert(connection, group).chain(inserted -> {
            List<Outbox.Pending> events = new ArrayList<>();
            List<Budgets.Spending> spendings = new ArrayList<>();
            List<Boolean> results = new ArrayList<>();
            Set<UUID> seen = new HashSet<>();
            for (Judged judged : group) {
                UUID id = UUID.fromString(judged.evaluation().getId());
                boolean stored = inserted.contains(id) && seen.add(id);
                results.add(stored);
                if (stored) {
                    events.add(event(judged));
                    spendings.add(judged.spending());
                }
            }
            return outbox.enqueueAll(connection, Topic.EVALUATIONS, events)
                    .chain(() -> budgets.spent(connection, spendings))
                    .replaceWith(results);
        }));
    }

    private static Uni<Set<UUID>> insert(SqlConnection connection, List<Judged> group) {
        int n = group.size();
        UUID[] ids = new UUID[n];
        String[] projects = new String[n];
        UUID[] metrics = new UUID[n];
        Integer[] versions = new Integer[n];
        String[] levels = new String[n];
        String[] recordIds = new String[n];
        String[] traceIds = new String[n];
        String[] sessionIds = new String[n];
        String[] hashes = new String[n];
        String[] statuses = new String[n];
        String[] origins = new String[n];
        OffsetDateTime[] created = new OffsetDateTime[n];
        Buffer[] evaluations = new Buffer[n];
        Buffer[] snapshots = new Buffer[n];
        Double[] numbers = new Double[n];
        String[] labels = new String[n];
        OffsetDateTime[] recordEnds = new OffsetDateTime[n];
        for (int i = 0; i < n; i++) {
            Evaluation evaluation = group.get(i).evaluation();
            ids[i] = UUID.fromString(evaluation.getId());
            projects[i] = evaluation.getProjectId();
            metrics[i] = UUID.fromString(evaluation.getMetricVersion().getMetricId());
            versions[i] = evaluation.getMetricVersion().getVersion();
            levels[i] = evaluation.getRecord().getLevel().name();
            recordIds[i] = evaluation.getRecord().getRecordId();
            traceIds[i] = evaluation.getRecord().getTraceId();
            sessionIds[i] = evaluation.getRecord().getSessionId();
            hashes[i] = evaluation.getContentHash();
            statuses[i] = evaluation.getStatus().name();
            origins[i] = evaluation.getOrigin().name();
            created[i] = ProtoJson.offsetDateTime(evaluation.getCreateTime());
            evaluations[i] = Bytea.wrap(evaluation.toByteArray());
            snapshots[i] = Bytea.wrap(group.get(i).snapshot().toByteArray());
            recordEnds[i] = evaluation.hasRecordEndTime() ? ProtoJson.offsetDateTime(evaluation.getRecordEndTime()) : null;
            if (evaluation.getStatus() == Evaluation.Status.STATUS_OK) {
                var number = OutputTypes.numeric(evaluation.getValue());
                numbers[i] = number.isPresent() ? number.getAsDouble() : null;
                labels[i] = number.isPresent() ? null : OutputTypes.format(evaluation.getValue());
            }
        }
        return connection.preparedQuery("""
                        insert into evaluation (id, project_id, metric_id, metric_version, level, record_id, trace_id,
                            session_id, content_hash, status, origin, created_at, evaluation, snapshot, value_number,
                            value_label, record_end_time)
                        select * from unnest($1::uuid[], $2::text[], $3::uuid[], $4::integer[], $5::text[], $6::text[],
                            $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::timestamptz[],
                            $13::bytea[], $14::bytea[], $15::double precision[], $16::text[], $17::timestamptz[])
                        on conflict (metric_id, metric_version, record_id, content_hash) do nothing
                        returning id""")
                .execute(Tuple.from(List.<Object>of(ids, projects, metrics, versions, levels, recordIds, traceIds,
                        sessionIds, hashes, statuses, origins, created, evaluations, snapshots, numbers, labels, recordEnds)))
                .map(rows -> {
                    Set<UUID> inserted = new HashSet<>();
                    rows.forEach(row -> inserted.add(row.getUUID("id")));
                    return inserted;
                });
    }

    private static Outbox.Pending event(Judged judged) {
        Evaluation evaluation = judged.evaluation();
        UUID eventId = UUID.randomUUID();
        return new Outbox.Pending(eventId, evaluation.getMetricVersion().getMetricId(), EvaluationEvent.newBuilder()
                .setEventId(eventId.toString()).setEventTime(ProtoJson.timestamp(ProtoJson.now()))
                .setProjectId(evaluation.getProjectId()).setMetricId(evaluation.getMetricVersion().getMetricId())
                .setEvaluation(evaluation).setSnapshot(judged.snapshot()).build());
    }
}
