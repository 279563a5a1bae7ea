package io.plumbline.annotation.queue;

import io.plumbline.common.api.ProtoJson;
import io.plumbline.proto.judge.v1.Evaluation;
import io.plumbline.proto.judge.v1.RecordSnapshot;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import java.util.UUID;

/**
 * The statements of NextItem on the reactive client, in its transaction: one read (the count of what the caller could
 * still be handed, the oldest of it locked, its evaluation and snapshot) and one write (the assignment and the item's
 * counters). Four round trips with BEGIN and COMMIT, where the Hibernate session took about eight.
 */
final class NextItemStore {

    /** The item handed, locked, as read under the lock; what the caller sees of it; how many were available. */
    record Picked(ItemEntity item, Evaluation evaluation, RecordSnapshot snapshot, long available) {
    }

    /**
     * The oldest open item the caller ($2) has never been handed nor reviewed, with room for one more reviewer, in
     * project $1 (and queue or metric $3). The row is locked and locked rows are skipped, so concurrent reviewers never
     * take the same last slot; the room test reads only the locked row's counters, which every change recomputes under
     * the same lock.
     */
    private static final String CANDIDATES = """
            from review_item i
            where i.project_id = $1 and i.status = 'STATUS_OPEN' %s
              and not exists (select 1 from assignment a where a.item_id = i.id and a.reviewer_id = $2)
              and not exists (select 1 from feedback f where f.item_id = i.id and f.reviewer_id = $2)
              and ((i.principal_reviewer_id = $2 and not i.principal_in)
                   or i.review_count + i.open_assignments
                      + case when i.principal_reviewer_id <> '' and not i.principal_in then 1 else 0 end
                      < i.required_reviews)
            """;

    /*
     * The columns are those of the locking select: under READ COMMITTED it returns the row as last committed (a
     * concurrent change that committed after the statement began is seen), where a join reading review_item again
     * would see the statement's snapshot, and could write back stale counters.
     */
    private static final String PICK = """
            with picked as (
                select %s %s
                order by i.created_at, i.id limit 1 for update of i skip locked)
            select picked.*, e.evaluation, e.snapshot, (select count(*) %s) as available
            from picked join evaluation e on e.id = picked.evaluation_id""";

    private static final String ASSIGN = """
            with assigned as (
                insert into assignment (item_id, reviewer_id, state, lease_expires_at, reason, created_at)
                values ($1, $2, 'ASSIGNED', $3, '', $4))
            update review_item set open_assignments = $5, principal_in = $6 where id = $1""";

    private NextItemStore() {
    }

    /**
     * The next item for {@code reviewerId}, locked, or null when none is left; {@code scope} is null, a queue id
     * (UUID) or a metric id (String).
     */
    static Uni<Picked> pick(SqlConnection connection, String projectId, String reviewerId, Object scope) {
        String filter = scope instanceof UUID ? " and i.queue_id = $3" : scope != null ? " and i.metric_id = $3" : "";
        String candidates = CANDIDATES.formatted(filter);
        String sql = PICK.formatted(ItemEntity.COLUMNS.replaceAll("(\\w+)", "i.$1"), candidates, candidates);
        Tuple parameters = scope == null ? Tuple.of(projectId, reviewerId) : Tuple.of(projectId, reviewerId, scope);
        return connection.preparedQuery(sql).execute(parameters).map(rows -> {
            if (rows.size() == 0) {
                return null;
            }
            Row r = rows.iterator().next();
            return new Picked(ItemEntity.fromRow(r),
                    ProtoJson.parseBytes(r.getBuffer("evaluation").getBytes(), Evaluation.getDefaultInstance()),
                    ProtoJson.parseBytes(r.getBuffer("snapshot").getBytes(), RecordSnapshot.getDefaultInstance()),
                    r.getLong("available"));
        });
    }

    /** Writes the assignment and the item's counters (already updated by {@link ItemCounters#assigned}). */
    static Uni<Void> assign(SqlConnection connection, AssignmentEntity a, ItemEntity item) {
        return connection.preparedQuery(ASSIGN).execute(Tuple.from(java.util.List.of(a.itemId, a.reviewerId,
                        a.leaseExpiresAt, a.createdAt, item.openAssignments, item.principalIn)))
                .replaceWithVoid();
    }
}
