package io.plumbline.annotation.feedback;

import io.plumbline.annotation.event.AnnotationEvents;
import io.plumbline.annotation.queue.AssignmentEntity;
import io.plumbline.annotation.queue.ItemEntity;
import io.plumbline.annotation.resolution.Resolutions;
import io.plumbline.common.api.ProtoJson;
import io.plumbline.common.kafka.Topic;
import io.plumbline.proto.judge.v1.Evaluation;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The statements of SubmitFeedback on the reactive client, in its transaction: one read (the item locked, with its
 * evaluation and the caller's assignment), the item's feedback only when it has some, and one write (the feedback, the
 * caller's assignment, the item's counters and status, and when it resolved the annotation and its outbox row, as
 * data-modifying CTEs). A submission is then four round trips with BEGIN and COMMIT, where the Hibernate session took
 * about a dozen, each waiting on the event loop of a busy machine.
 */
final class FeedbackStore {

    /** The item locked, its evaluation, and the state of the caller's assignment of it (null: none). */
    record Locked(ItemEntity item, Evaluation evaluation, String myAssignment) {
    }

    private static final String LOCK = "select " + ItemEntity.COLUMNS.replaceAll("(\\w+)", "i.$1") + """
            , e.evaluation, a.state as my_assignment
            from review_item i join evaluation e on e.id = i.evaluation_id
            left join assignment a on a.item_id = i.id and a.reviewer_id = $2
            where i.id = $1
            for update of i""";

    private static final String FEEDBACK = "select " + FeedbackEntity.COLUMNS
            + " from feedback where item_id = $1 order by created_at, id";

    /** $1-$12 the feedback, $13-$18 the item; the assignment is the caller's, created or now REVIEWED. */
    private static final String WRITE = """
            with new_feedback as (
                insert into feedback (id, project_id, item_id, reviewer_id, verdict, expected_value_json, value_json,
                                      critique, tags, revision, created_at, updated_at)
                values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)),
            reviewed as (
                insert into assignment (item_id, reviewer_id, state, lease_expires_at, reason, created_at)
                values ($3, $4, 'REVIEWED', $11, '', $11)
                on conflict (item_id, reviewer_id) do update set state = 'REVIEWED')%s
            update review_item set status = $13, review_count = $14, open_assignments = $15, principal_in = $16,
                                   annotation_id = $17, resolved_at = $18
            where id = $3""";

    /** $19-$31 the annotation, $32-$36 its event: the row {@code Outbox.enqueue} writes. */
    private static final String RESOLVED = """
            ,
            resolved as (
                insert into annotation (id, project_id, item_id, queue_id, evaluation_id, metric_id, metric_version,
                                        record_id, judge_correct, revision, content, resolved_at, updated_at,
                                        last_event_id, rule)
                values ($19, $2, $3, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31)),
            event as (
                insert into outbox_event (event_id, topic, message_key, payload, created_at)
                values ($32, $33, $34, $35, $36))""";

    private FeedbackStore() {
    }

    /** The item, locked, with what SubmitFeedback needs; null when there is no such item. */
    static Uni<Locked> lock(SqlConnection connection, UUID itemId, String reviewerId) {
        return connection.preparedQuery(LOCK).execute(Tuple.of(itemId, reviewerId)).map(rows -> {
            if (rows.size() == 0) {
                return null;
            }
            Row r = rows.iterator().next();
            return new Locked(ItemEntity.fromRow(r), ProtoJson.parseBytes(r.getBuffer("evaluation").getBytes(),
                    Evaluation.getDefaultInstance()), r.getString("my_assignment"));
        });
    }

    /** The item's feedback, oldest first. */
    static Uni<List<FeedbackEntity>> feedbackOf(SqlConnection connection, UUID itemId) {
        return connection.preparedQuery(FEEDBACK).execute(Tuple.of(itemId)).map(FeedbackStore::feedback);
    }

    private static List<FeedbackEntity> feedback(RowSet<Row> rows) {
        List<FeedbackEntity> found = new ArrayList<>();
        rows.forEach(r -> found.add(FeedbackEntity.fromRow(r)));
        return found;
    }

    /** Writes the new feedback, the caller's assignment as reviewed, the item, and the resolution when there is one. */
    static Uni<Void> write(SqlConnection connection, FeedbackEntity f, ItemEntity item, Resolutions.Decision decision) {
        List<Object> values = new ArrayList<>(List.of(f.id, f.projectId, f.itemId, f.reviewerId, f.verdict));
        values.add(f.expectedValueJson);
        values.addAll(List.of(f.valueJson, f.critique, f.tags, f.revision, f.createdAt, f.updatedAt, item.status,
                item.reviewCount, item.openAssignments, item.principalIn));
        values.add(item.annotationId);
        values.add(item.resolvedAt);
        if (decision.resolved()) {
            var a = decision.row();
            values.addAll(List.of(a.id, a.queueId, a.evaluationId, a.metricId, a.metricVersion, a.recordId,
                    a.judgeCorrect, a.revision, Buffer.buffer(a.content), a.resolvedAt, a.updatedAt, a.lastEventId,
                    a.rule));
            AnnotationEvents.Serialized event = AnnotationEvents.serialize(decision.event(), a.content);
            values.addAll(List.of(event.eventId(), Topic.ANNOTATIONS.topicName(), event.metricId(),
                    Buffer.buffer(event.payload()), a.updatedAt));
        }
        return connection.preparedQuery(WRITE.formatted(decision.resolved() ? RESOLVED : ""))
                .execute(Tuple.from(values)).replaceWithVoid();
    }

    /** Whether the caller's assignment holds a review slot. */
    static boolean holdsSlot(Locked locked) {
        return AssignmentEntity.ASSIGNED.equals(locked.myAssignment());
    }
}
