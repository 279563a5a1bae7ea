package io.plumbline.annotation.imports;

import io.plumbline.annotation.feedback.FeedbackEntity;
import io.plumbline.annotation.queue.AssignmentEntity;
import io.plumbline.annotation.queue.ItemEntity;
import io.plumbline.annotation.resolution.AnnotationEntity;
import io.plumbline.common.api.ApiException;
import io.plumbline.common.api.ProtoJson;
import io.plumbline.proto.annotation.v1.ResolutionSettings;
import io.plumbline.proto.judge.v1.Evaluation;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

/**
 * The set-based reads and writes of an import, on one connection inside its transaction: every read takes a chunk of the
 * file's keys at once, every write inserts or updates a chunk of rows in one statement ({@code unnest} of arrays). So a
 * file costs a few dozen round trips whatever its size. Reads join the keys ({@code unnest($1) join t}) rather than
 * filter by {@code = any($1)}: right after a large import the statistics still call a table small, and a sequential
 * scan testing each row against thousands of keys costs rows times keys; a join stays linear whatever the plan.
 */
final class ImportStore {

    /** Rows per statement: large enough to amortise the round trip, small enough to keep statements modest. */
    static final int CHUNK = 5000;

    private static final String ITEM_COLUMNS = ItemEntity.COLUMNS;

    private final SqlConnection connection;

    ImportStore(SqlConnection connection) {
        this.connection = connection;
    }

    /** An evaluation as the import needs it (its snapshot is not read). */
    record Judged(String id, String projectId, String metricId, String recordId, Evaluation evaluation) {
    }

    /** A queue new items may go to. */
    record Queue(UUID id, String name, String metricId, ResolutionSettings override) {
    }

    Uni<Map<String, Judged>> evaluationsById(Collection<String> ids) {
        Map<String, Judged> found = new HashMap<>();
        return chunks(List.copyOf(ids), chunk -> connection.preparedQuery("""
                        select e.id, e.project_id, e.metric_id, e.record_id, e.evaluation
                        from unnest($1::text[]) as k(id) join evaluation e on e.id = k.id""")
                .execute(Tuple.of(chunk.toArray(String[]::new)))
                .invoke(rows -> rows.forEach(r -> found.put(r.getString("id"), judged(r)))))
                .replaceWith(found);
    }

    /** The newest evaluation with a value of each (record, metric), keyed {@code record + "\n" + metric}. */
    Uni<Map<String, Judged>> newestByRecord(String projectId, Collection<String> recordAndMetric) {
        Map<String, Judged> found = new HashMap<>();
        return chunks(List.copyOf(recordAndMetric), chunk -> connection.preparedQuery("""
                        select distinct on (e.record_id, e.metric_id) e.id, e.project_id, e.metric_id, e.record_id,
                               e.evaluation
                        from evaluation e join unnest($2::text[], $3::text[]) as k(record_id, metric_id)
                             on e.record_id = k.record_id and e.metric_id = k.metric_id
                        where e.project_id = $1 and e.status = 'STATUS_OK'
                        order by e.record_id, e.metric_id, e.evaluated_at desc""")
                .execute(Tuple.of(projectId, chunk.stream().map(k -> k.split("\n", 2)[0]).toArray(String[]::new),
                        chunk.stream().map(k -> k.split("\n", 2)[1]).toArray(String[]::new)))
                .invoke(rows -> rows.forEach(r -> found.put(r.getString("record_id") + "\n" + r.getString("metric_id"),
                        judged(r)))))
                .replaceWith(found);
    }

    private static Judged judged(Row r) {
        return new Judged(r.getString("id"), r.getString("project_id"), r.getString("metric_id"),
                r.getString("record_id"), ProtoJson.parseBytes(r.getBuffer("evaluation").getBytes(),
                        Evaluation.getDefaultInstance()));
    }

    /** The items of these evaluations, locked for the import, in id order (the order every bulk change locks in). */
    Uni<Map<String, ItemEntity>> lockItems(String projectId, Collection<String> evaluationIds) {
        Map<String, ItemEntity> found = new HashMap<>();
        return chunks(List.copyOf(evaluationIds), chunk -> connection.preparedQuery("select " + ITEM_COLUMNS.replaceAll("(\\w+)", "i.$1")
                        + " from unnest($2::text[]) as k(evaluation_id) join review_item i"
                        + " on i.project_id = $1 and i.evaluation_id = k.evaluation_id order by i.id for update of i")
                .execute(Tuple.of(projectId, chunk.toArray(String[]::new)))
                .invoke(rows -> rows.forEach(r -> found.put(r.getString("evaluation_id"), ItemEntity.fromRow(r)))))
                .replaceWith(found);
    }

    /** The feedback on these items, oldest first. */
    Uni<List<FeedbackEntity>> feedbackOf(Collection<UUID> itemIds) {
        List<FeedbackEntity> found = new ArrayList<>();
        return chunks(List.copyOf(itemIds), chunk -> connection.preparedQuery("""
                        select f.* from unnest($1::uuid[]) as k(item_id) join feedback f on f.item_id = k.item_id
                        order by f.created_at, f.id""")
                .execute(Tuple.of((Object) chunk.toArray(UUID[]::new)))
                .invoke(rows -> rows.forEach(r -> found.add(FeedbackEntity.fromRow(r)))))
                .replaceWith(found);
    }

    Uni<List<AssignmentEntity>> assignmentsOf(Collection<UUID> itemIds) {
        List<AssignmentEntity> found = new ArrayList<>();
        return chunks(List.copyOf(itemIds), chunk -> connection.preparedQuery("""
                        select a.item_id, a.reviewer_id, a.state, a.lease_expires_at, a.reason, a.created_at
                        from unnest($1::uuid[]) as k(item_id) join assignment a on a.item_id = k.item_id""")
                .execute(Tuple.of((Object) chunk.toArray(UUID[]::new)))
                .invoke(rows -> rows.forEach(r -> {
                    AssignmentEntity a = new AssignmentEntity();
                    a.itemId = r.getUUID("item_id");
                    a.reviewerId = r.getString("reviewer_id");
                    a.state = r.getString("state");
                    a.leaseExpiresAt = r.getOffsetDateTime("lease_expires_at");
                    a.reason = r.getString("reason");
                    a.createdAt = r.getOffsetDateTime("created_at");
                    found.add(a);
                })))
                .replaceWith(found);
    }

    Uni<Map<UUID, AnnotationEntity>> annotations(Collection<UUID> ids) {
        Map<UUID, AnnotationEntity> found = new HashMap<>();
        return chunks(List.copyOf(ids), chunk -> connection.preparedQuery("""
                        select n.id, n.project_id, n.item_id, n.queue_id, n.evaluation_id, n.metric_id,
                               n.metric_version, n.record_id, n.judge_correct, n.revision, n.content, n.resolved_at,
                               n.updated_at, n.last_event_id, n.rule
                        from unnest($1::uuid[]) as k(id) join annotation n on n.id = k.id""")
                .execute(Tuple.of((Object) chunk.toArray(UUID[]::new)))
                .invoke(rows -> rows.forEach(r -> {
                    AnnotationEntity a = new AnnotationEntity();
                    a.id = r.getUUID("id");
                    a.projectId = r.getString("project_id");
                    a.itemId = r.getUUID("item_id");
                    a.queueId = r.getUUID("queue_id");
                    a.evaluationId = r.getString("evaluation_id");
                    a.metricId = r.getString("metric_id");
                    a.metricVersion = r.getInteger("metric_version");
                    a.recordId = r.getString("record_id");
                    a.judgeCorrect = r.getBoolean("judge_correct");
                    a.revision = r.getInteger("revision");
                    a.content = r.getBuffer("content").getBytes();
                    a.resolvedAt = r.getOffsetDateTime("resolved_at");
                    a.updatedAt = r.getOffsetDateTime("updated_at");
                    a.lastEventId = r.getString("last_event_id");
                    a.rule = r.getString("rule");
                    found.put(a.id, a);
                })))
                .replaceWith(found);
    }

    /** The queue named by the request, NOT_FOUND when it is not the project's. */
    Uni<Queue> queue(String projectId, String queueId, UUID id) {
        return connection.preparedQuery("select id, name, metric_id, resolution_json from review_queue "
                        + "where id = $1 and project_id = $2")
                .execute(Tuple.of(id, projectId))
                .map(rows -> {
                    if (rows.size() == 0) {
                        throw ApiException.notFound("queue " + queueId + " does not exist in project \"" + projectId
                                + "\"");
                    }
                    return queue(rows.iterator().next());
                });
    }

    /** The metrics' default queues, by metric id. */
    Uni<Map<String, Queue>> defaultQueues(String projectId, Collection<String> metricIds) {
        return connection.preparedQuery("select id, name, metric_id, resolution_json from review_queue "
                        + "where project_id = $1 and metric_default and metric_id = any($2)")
                .execute(Tuple.of(projectId, metricIds.toArray(String[]::new)))
                .map(rows -> {
                    Map<String, Queue> found = new HashMap<>();
                    rows.forEach(r -> found.put(r.getString("metric_id"), queue(r)));
                    return found;
                });
    }

    private static Queue queue(Row r) {
        String override = r.getString("resolution_json");
        return new Queue(r.getUUID("id"), r.getString("name"), r.getString("metric_id"), override == null ? null
                : ProtoJson.parse(override, ResolutionSettings.getDefaultInstance()));
    }

    /** The metrics' own resolution settings, by metric id (metrics never configured are absent). */
    Uni<Map<String, ResolutionSettings>> metricSettings(String projectId, Collection<String> metricIds) {
        return connection.preparedQuery("select metric_id, settings_json from resolution_config "
                        + "where project_id = $1 and metric_id = any($2)")
                .execute(Tuple.of(projectId, metricIds.toArray(String[]::new)))
                .map(rows -> {
                    Map<String, ResolutionSettings> found = new HashMap<>();
                    rows.forEach(r -> found.put(r.getString("metric_id"),
                            ProtoJson.parse(r.getString("settings_json"), ResolutionSettings.getDefaultInstance())));
                    return found;
                });
    }

    /** Inserts new items; an evaluation queued meanwhile by someone else fails the import (it can be retried). */
    Uni<Void> insertItems(List<ItemEntity> items) {
        return chunks(items, chunk -> connection.preparedQuery("insert into review_item (" + ITEM_COLUMNS + """
                        ) select * from unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::text[], $6::text[],
                            $7::text[], $8::text[], $9::text[], $10::text[], $11::int[], $12::text[], $13::text[],
                            $14::float8[], $15::int[], $16::int[], $17::bool[], $18::uuid[], $19::timestamptz[],
                            $20::timestamptz[])
                        on conflict (project_id, evaluation_id) do nothing""")
                .execute(Tuple.from(List.<Object>of(
                        column(chunk, i -> i.id, UUID[]::new), column(chunk, i -> i.projectId, String[]::new),
                        column(chunk, i -> i.queueId, UUID[]::new), column(chunk, i -> i.evaluationId, String[]::new),
                        column(chunk, i -> i.metricId, String[]::new), column(chunk, i -> i.recordId, String[]::new),
                        column(chunk, i -> i.status, String[]::new), column(chunk, i -> i.source, String[]::new),
                        column(chunk, i -> i.addedBy, String[]::new), column(chunk, i -> i.stratum, String[]::new),
                        column(chunk, i -> i.requiredReviews, Integer[]::new),
                        column(chunk, i -> i.principalReviewerId, String[]::new),
                        column(chunk, i -> i.rule, String[]::new),
                        column(chunk, i -> i.numericTolerance, Double[]::new),
                        column(chunk, i -> i.reviewCount, Integer[]::new),
                        column(chunk, i -> i.openAssignments, Integer[]::new),
                        column(chunk, i -> i.principalIn, Boolean[]::new),
                        column(chunk, i -> i.annotationId, UUID[]::new),
                        column(chunk, i -> i.createdAt, OffsetDateTime[]::new),
                        column(chunk, i -> i.resolvedAt, OffsetDateTime[]::new))))
                .invoke(rows -> {
                    if (rows.rowCount() != chunk.size()) {
                        throw ApiException.aborted("some of the file's evaluations were queued by someone else while "
                                + "the import ran; nothing was kept: import the file again", Map.of());
                    }
                }));
    }

    /** Writes the status, counters and resolution of existing items. */
    Uni<Void> updateItems(List<ItemEntity> items) {
        return chunks(items, chunk -> connection.preparedQuery("""
                        update review_item i set status = u.status, review_count = u.review_count,
                            open_assignments = u.open_assignments, principal_in = u.principal_in,
                            annotation_id = u.annotation_id, resolved_at = u.resolved_at
                        from unnest($1::uuid[], $2::text[], $3::int[], $4::int[], $5::bool[], $6::uuid[],
                                    $7::timestamptz[]) as u(id, status, review_count, open_assignments, principal_in,
                                                             annotation_id, resolved_at)
                        where i.id = u.id""")
                .execute(Tuple.from(List.<Object>of(
                        column(chunk, i -> i.id, UUID[]::new), column(chunk, i -> i.status, String[]::new),
                        column(chunk, i -> i.reviewCount, Integer[]::new),
                        column(chunk, i -> i.openAssignments, Integer[]::new),
                        column(chunk, i -> i.principalIn, Boolean[]::new),
                        column(chunk, i -> i.annotationId, UUID[]::new),
                        column(chunk, i -> i.resolvedAt, OffsetDateTime[]::new)))));
    }

    Uni<Void> insertFeedback(List<FeedbackEntity> feedback) {
        return chunks(feedback, chunk -> connection.preparedQuery("""
                        insert into feedback (id, project_id, item_id, reviewer_id, verdict, expected_value_json,
                            value_json, critique, tags, imported, revision, created_at, updated_at)
                        select * from unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::text[], $6::text[],
                            $7::text[], $8::text[], $9::text[], $10::bool[], $11::int8[], $12::timestamptz[],
                            $13::timestamptz[])""")
                .execute(Tuple.from(feedbackColumns(chunk))));
    }

    Uni<Void> updateFeedback(List<FeedbackEntity> feedback) {
        return chunks(feedback, chunk -> connection.preparedQuery("""
                        update feedback f set verdict = u.verdict, expected_value_json = u.expected_value_json,
                            value_json = u.value_json, critique = u.critique, tags = u.tags, imported = u.imported,
                            revision = u.revision, updated_at = u.updated_at
                        from unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::text[], $6::text[],
                            $7::text[], $8::text[], $9::text[], $10::bool[], $11::int8[], $12::timestamptz[],
                            $13::timestamptz[]) as u(id, project_id, item_id, reviewer_id, verdict, expected_value_json,
                                                     value_json, critique, tags, imported, revision, created_at,
                                                     updated_at)
                        where f.id = u.id""")
                .execute(Tuple.from(feedbackColumns(chunk))));
    }

    private static List<Object> feedbackColumns(List<FeedbackEntity> chunk) {
        return List.of(column(chunk, f -> f.id, UUID[]::new), column(chunk, f -> f.projectId, String[]::new),
                column(chunk, f -> f.itemId, UUID[]::new), column(chunk, f -> f.reviewerId, String[]::new),
                column(chunk, f -> f.verdict, String[]::new), column(chunk, f -> f.expectedValueJson, String[]::new),
                column(chunk, f -> f.valueJson, String[]::new), column(chunk, f -> f.critique, String[]::new),
                column(chunk, f -> f.tags, String[]::new), column(chunk, f -> f.imported, Boolean[]::new),
                column(chunk, f -> f.revision, Long[]::new), column(chunk, f -> f.createdAt, OffsetDateTime[]::new),
                column(chunk, f -> f.updatedAt, OffsetDateTime[]::new));
    }

    /** New assignments, and the new state of existing ones (the primary key says which). */
    Uni<Void> upsertAssignments(List<AssignmentEntity> assignments) {
        return chunks(assignments, chunk -> connection.preparedQuery("""
                        insert into assignment (item_id, reviewer_id, state, lease_expires_at, reason, created_at)
                        select * from unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::text[],
                                             $6::timestamptz[])
                        on conflict (item_id, reviewer_id) do update set state = excluded.state""")
                .execute(Tuple.from(List.<Object>of(
                        column(chunk, a -> a.itemId, UUID[]::new), column(chunk, a -> a.reviewerId, String[]::new),
                        column(chunk, a -> a.state, String[]::new),
                        column(chunk, a -> a.leaseExpiresAt, OffsetDateTime[]::new),
                        column(chunk, a -> a.reason, String[]::new),
                        column(chunk, a -> a.createdAt, OffsetDateTime[]::new)))));
    }

    /** New annotations, and the new content of changed ones (the primary key says which). */
    Uni<Void> upsertAnnotations(List<AnnotationEntity> annotations) {
        return chunks(annotations, chunk -> connection.preparedQuery("""
                        insert into annotation (id, project_id, item_id, queue_id, evaluation_id, metric_id,
                            metric_version, record_id, judge_correct, revision, content, resolved_at, updated_at,
                            last_event_id, rule)
                        select * from unnest($1::uuid[], $2::text[], $3::uuid[], $4::uuid[], $5::text[], $6::text[],
                            $7::int[], $8::text[], $9::bool[], $10::int[], $11::bytea[], $12::timestamptz[],
                            $13::timestamptz[], $14::text[], $15::text[])
                        on conflict (id) do update set judge_correct = excluded.judge_correct, rule = excluded.rule,
                            revision = excluded.revision, content = excluded.content, updated_at = excluded.updated_at,
                            last_event_id = excluded.last_event_id""")
                .execute(Tuple.from(List.<Object>of(
                        column(chunk, a -> a.id, UUID[]::new), column(chunk, a -> a.projectId, String[]::new),
                        column(chunk, a -> a.itemId, UUID[]::new), column(chunk, a -> a.queueId, UUID[]::new),
                        column(chunk, a -> a.evaluationId, String[]::new), column(chunk, a -> a.metricId, String[]::new),
                        column(chunk, a -> a.metricVersion, Integer[]::new),
                        column(chunk, a -> a.recordId, String[]::new),
                        column(chunk, a -> a.judgeCorrect, Boolean[]::new),
                        column(chunk, a -> a.revision, Integer[]::new),
                        column(chunk, a -> io.vertx.core.buffer.Buffer.buffer(a.content),
                                io.vertx.core.buffer.Buffer[]::new),
                        column(chunk, a -> a.resolvedAt, OffsetDateTime[]::new),
                        column(chunk, a -> a.updatedAt, OffsetDateTime[]::new),
                        column(chunk, a -> a.lastEventId, String[]::new),
                        column(chunk, a -> a.rule, String[]::new)))));
    }

    /**
     * Statements in flight at once on the connection: the client builds and sends the next chunk's arrays while the
     * server executes the previous one, in the one transaction. The chunks of one statement touch distinct rows, so
     * their order does not matter (the outbox's does: {@code AnnotationEvents.emitAll} writes its chunks in turn).
     */
    static final int PIPELINE = 3;

    /** Runs {@code statement} on each chunk of {@code rows}, in order, {@link #PIPELINE} at a time. */
    static <T> Uni<Void> chunks(List<T> rows, Function<List<T>, Uni<?>> statement) {
        if (rows.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        List<List<T>> chunks = new ArrayList<>();
        for (int from = 0; from < rows.size(); from += CHUNK) {
            chunks.add(rows.subList(from, Math.min(rows.size(), from + CHUNK)));
        }
        return Multi.createFrom().iterable(chunks).onItem().transformToUni(statement).merge(PIPELINE)
                .collect().last().replaceWithVoid();
    }

    private static <T, V> V[] column(List<T> rows, Function<T, V> value, java.util.function.IntFunction<V[]> array) {
        V[] column = array.apply(rows.size());
        for (int i = 0; i < column.length; i++) {
            column[i] = value.apply(rows.get(i));
        }
        return column;
    }
}
