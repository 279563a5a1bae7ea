package io.plumbline.annotation.queue;

import io.plumbline.annotation.reviewer.Caller;
import io.plumbline.common.api.ProtoJson;
import io.plumbline.proto.annotation.v1.Annotation;
import io.plumbline.proto.annotation.v1.Critique;
import io.plumbline.proto.annotation.v1.GetQueueProgressRequest;
import io.plumbline.proto.annotation.v1.GetReviewerProgressRequest;
import io.plumbline.proto.annotation.v1.QueueCounts;
import io.plumbline.proto.annotation.v1.QueueProgress;
import io.plumbline.proto.annotation.v1.ReviewerCounts;
import io.plumbline.proto.annotation.v1.ReviewerProgress;
import io.plumbline.proto.annotation.v1.ReviewerQueueProgress;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Progress per queue and per reviewer: totals, and for each reviewer what they reviewed, how much of it resolved and
 * agreed with the resolution, what they hold, skipped, and can still be handed. Read-only aggregates in SQL.
 */
@ApplicationScoped
public class ProgressService {

    /**
     * Per (reviewer, queue) in a project: reviewed, resolved, assigned, skipped. Every feedback has its reviewer's
     * assignment row (NextItem, SubmitFeedback and imports write one), so assignments are the reviewer's items.
     */
    private static final String WORK = """
            select a.reviewer_id, i.queue_id,
                   count(f.id) as reviewed,
                   count(f.id) filter (where i.status = 'STATUS_RESOLVED') as resolved,
                   count(*) filter (where a.state = 'ASSIGNED') as assigned,
                   count(*) filter (where a.state = 'SKIPPED') as skipped
            from assignment a join review_item i on i.id = a.item_id
            left join feedback f on f.item_id = a.item_id and f.reviewer_id = a.reviewer_id
            where i.project_id = $1 and %s
            group by a.reviewer_id, i.queue_id""";

    /** The resolved annotations of items a reviewer reviewed (their critiques say whether they agreed). */
    private static final String AGREEMENT = """
            select f.reviewer_id, i.queue_id, n.content
            from feedback f join review_item i on i.id = f.item_id join annotation n on n.id = i.annotation_id
            where i.project_id = $1 and i.status = 'STATUS_RESOLVED' and %s""";

    /** Per (reviewer, queue): open items NextItem could still hand the reviewer (its conditions, counted). */
    private static final String AVAILABLE = """
            select r.id as reviewer_id, i.queue_id, count(*) as available
            from unnest($2::text[]) as r(id) join review_item i on i.project_id = $1 and i.status = 'STATUS_OPEN' %s
            where not exists (select 1 from assignment a where a.item_id = i.id and a.reviewer_id = r.id)
              and not exists (select 1 from feedback f where f.item_id = i.id and f.reviewer_id = r.id)
              and ((i.principal_reviewer_id = r.id and not i.principal_in)
                   or i.review_count + i.open_assignments
                      + case when i.principal_reviewer_id <> '' and not i.principal_in then 1 else 0 end
                      < i.required_reviews)
            group by r.id, i.queue_id""";

    private final Pool pool;

    ProgressService(Pool pool) {
        this.pool = pool;
    }

    /** The queue's totals and each reviewer who reviewed, skipped or holds one of its items, by reviewer id. */
    public Uni<QueueProgress> queue(GetQueueProgressRequest r) {
        UUID queueId = QueueEntity.parseId(r.getQueueId(), "queue_id");
        return pool.withConnection(c -> c.preparedQuery("select name from review_queue where id = $1 and project_id = $2")
                .execute(Tuple.of(queueId, r.getProjectId())).chain(found -> {
                    if (found.size() == 0) {
                        throw io.plumbline.common.api.ApiException.notFound("queue " + r.getQueueId()
                                + " does not exist in project \"" + r.getProjectId() + "\"");
                    }
                    return c.preparedQuery(QueueService.COUNTS_SQL).execute(Tuple.of(queueId));
                }).chain(countRows -> {
                    QueueCounts totals = QueueService.counts(countRows.iterator().next());
                    Map<String, Map<UUID, ReviewerCounts.Builder>> counts = new TreeMap<>();
                    return c.preparedQuery(WORK.formatted("i.queue_id = $2")).execute(Tuple.of(r.getProjectId(), queueId))
                            .invoke(rows -> rows.forEach(row -> work(counts, row)))
                            .chain(() -> c.preparedQuery(AGREEMENT.formatted("i.queue_id = $2"))
                                    .execute(Tuple.of(r.getProjectId(), queueId)))
                            .invoke(rows -> rows.forEach(row -> agreement(counts, row)))
                            .chain(() -> c.preparedQuery(AVAILABLE.formatted("and i.queue_id = $3"))
                                    .execute(Tuple.of(r.getProjectId(), counts.keySet().toArray(String[]::new), queueId)))
                            .invoke(rows -> rows.forEach(row -> available(counts, row)))
                            .map(ignored -> {
                                var progress = QueueProgress.newBuilder().setProjectId(r.getProjectId())
                                        .setQueueId(queueId.toString()).setTotals(totals);
                                counts.forEach((reviewer, byQueue) -> progress.addReviewers(ReviewerQueueProgress
                                        .newBuilder().setReviewerId(reviewer).setQueueId(queueId.toString())
                                        .setCounts(byQueue.getOrDefault(queueId, ReviewerCounts.newBuilder()))));
                                return progress.build();
                            });
                }));
    }

    /**
     * One reviewer's counts over all queues and per queue they worked in or can review, by queue name. Another
     * reviewer's progress is for admins.
     */
    public Uni<ReviewerProgress> reviewer(Caller caller, GetReviewerProgressRequest r) {
        String reviewer = r.getReviewerId().isEmpty() ? caller.id() : r.getReviewerId();
        if (!reviewer.equals(caller.id())) {
            caller.requireAdmin("reading another reviewer's progress");
        }
        Map<String, Map<UUID, ReviewerCounts.Builder>> counts = new TreeMap<>();
        counts.put(reviewer, new HashMap<>());
        return pool.withConnection(c -> c.preparedQuery(WORK.formatted("a.reviewer_id = $2"))
                .execute(Tuple.of(r.getProjectId(), reviewer))
                .invoke(rows -> rows.forEach(row -> work(counts, row)))
                .chain(() -> c.preparedQuery(AGREEMENT.formatted("f.reviewer_id = $2"))
                        .execute(Tuple.of(r.getProjectId(), reviewer)))
                .invoke(rows -> rows.forEach(row -> agreement(counts, row)))
                .chain(() -> c.preparedQuery(AVAILABLE.formatted("")).execute(Tuple.of(r.getProjectId(),
                        new String[] {reviewer})))
                .invoke(rows -> rows.forEach(row -> available(counts, row)))
                .chain(() -> c.preparedQuery("select id, name from review_queue where id = any($1)")
                        .execute(Tuple.of((Object) counts.get(reviewer).keySet().toArray(UUID[]::new))))
                .map(queues -> {
                    Map<UUID, ReviewerCounts.Builder> byQueue = counts.get(reviewer);
                    TreeMap<String, UUID> byName = new TreeMap<>();
                    queues.forEach(q -> byName.put(q.getString("name") + "\n" + q.getUUID("id"), q.getUUID("id")));
                    var progress = ReviewerProgress.newBuilder().setProjectId(r.getProjectId()).setReviewerId(reviewer);
                    ReviewerCounts.Builder totals = ReviewerCounts.newBuilder();
                    for (UUID queueId : byName.values()) {
                        ReviewerCounts q = byQueue.get(queueId).build();
                        add(totals, q);
                        progress.addQueues(ReviewerQueueProgress.newBuilder().setReviewerId(reviewer)
                                .setQueueId(queueId.toString()).setCounts(q));
                    }
                    return progress.setTotals(totals).build();
                }));
    }

    private static ReviewerCounts.Builder counts(Map<String, Map<UUID, ReviewerCounts.Builder>> counts, Row row) {
        return counts.computeIfAbsent(row.getString("reviewer_id"), k -> new HashMap<>())
                .computeIfAbsent(row.getUUID("queue_id"), k -> ReviewerCounts.newBuilder());
    }

    private static void work(Map<String, Map<UUID, ReviewerCounts.Builder>> counts, Row row) {
        counts(counts, row).setReviewed(row.getLong("reviewed")).setResolved(row.getLong("resolved"))
                .setAssigned(row.getLong("assigned")).setSkipped(row.getLong("skipped"));
    }

    private static void agreement(Map<String, Map<UUID, ReviewerCounts.Builder>> counts, Row row) {
        String reviewer = row.getString("reviewer_id");
        Annotation annotation = ProtoJson.parseBytes(row.getBuffer("content").getBytes(), Annotation.getDefaultInstance());
        List<Critique> theirs = annotation.getCritiquesList().stream()
                .filter(c -> c.getReviewerId().equals(reviewer) && !c.getAdjudication()).toList();
        if (!theirs.isEmpty() && theirs.get(0).getAgreesWithResolution()) {
            ReviewerCounts.Builder b = counts(counts, row);
            b.setAgreedWithResolution(b.getAgreedWithResolution() + 1);
        }
    }

    private static void available(Map<String, Map<UUID, ReviewerCounts.Builder>> counts, Row row) {
        counts(counts, row).setAvailable(row.getLong("available"));
    }

    private static void add(ReviewerCounts.Builder totals, ReviewerCounts q) {
        totals.setReviewed(totals.getReviewed() + q.getReviewed())
                .setResolved(totals.getResolved() + q.getResolved())
                .setAgreedWithResolution(totals.getAgreedWithResolution() + q.getAgreedWithResolution())
                .setAssigned(totals.getAssigned() + q.getAssigned())
                .setSkipped(totals.getSkipped() + q.getSkipped())
                .setAvailable(totals.getAvailable() + q.getAvailable());
    }
}
