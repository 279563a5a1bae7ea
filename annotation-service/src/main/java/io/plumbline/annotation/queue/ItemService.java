package io.plumbline.annotation.queue;

import io.plumbline.annotation.feedback.FeedbackEntity;
import io.plumbline.annotation.intake.EvaluationEntity;
import io.plumbline.annotation.reviewer.Caller;
import io.plumbline.common.api.ProtoJson;
import io.plumbline.common.api.ApiException;
import io.plumbline.common.api.PageToken;
import io.plumbline.proto.annotation.v1.AddItemProblem;
import io.plumbline.proto.annotation.v1.AddItemsRequest;
import io.plumbline.proto.annotation.v1.AddItemsResponse;
import io.plumbline.proto.annotation.v1.GetItemRequest;
import io.plumbline.proto.annotation.v1.ListItemsRequest;
import io.plumbline.proto.annotation.v1.ListItemsResponse;
import io.plumbline.proto.annotation.v1.NextItemRequest;
import io.plumbline.proto.annotation.v1.NextItemResponse;
import io.plumbline.proto.annotation.v1.ReviewItem;
import io.plumbline.proto.annotation.v1.SkipItemRequest;
import io.plumbline.proto.judge.v1.Evaluation;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.hibernate.reactive.panache.common.WithTransaction;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** Items of queues: handing the next one to a reviewer, skipping, reading, listing, adding by hand. */
@ApplicationScoped
public class ItemService {

    static final int MAX_ADD = 1000;

    private final ItemViews views;
    private final QueueFilling filling;
    private final Duration lease;
    private final Pool pool;

    ItemService(ItemViews views, QueueFilling filling, Pool pool,
            @ConfigProperty(name = "plumbline.annotation.assignment-lease", defaultValue = "30m") Duration lease) {
        this.pool = pool;
        this.views = views;
        this.filling = filling;
        this.lease = lease;
    }

    /**
     * The oldest open item the caller has never been handed nor reviewed, with room for one more reviewer, assigned to
     * the caller for the lease ({@link NextItemStore}: the pick locks the row and skips locked ones, so concurrent
     * reviewers never take the same last slot). The pick guarantees the caller holds neither an assignment nor
     * feedback on the item: the counters follow from the locked row, and the caller sees no feedback of their own
     * (admins see everyone's).
     */
    public Uni<NextItemResponse> next(Caller caller, NextItemRequest r) {
        Object scope = !r.getQueueId().isEmpty() ? QueueEntity.parseId(r.getQueueId(), "queue_id")
                : !r.getMetricId().isEmpty() ? r.getMetricId() : null;
        return pool.withTransaction(connection -> {
            Uni<Void> queueKnown = !(scope instanceof UUID queueId) ? Uni.createFrom().voidItem()
                    : connection.preparedQuery("select 1 from review_queue where id = $1 and project_id = $2")
                            .execute(Tuple.of(queueId, r.getProjectId())).invoke(rows -> {
                                if (rows.size() == 0) {
                                    throw ApiException.notFound("queue " + r.getQueueId() + " does not exist in project \""
                                            + r.getProjectId() + "\"");
                                }
                            }).replaceWithVoid();
            return queueKnown.chain(() -> NextItemStore.pick(connection, r.getProjectId(), caller.id(), scope))
                    .chain(picked -> {
                        if (picked == null) {
                            return Uni.createFrom().item(NextItemResponse.getDefaultInstance());
                        }
                        ItemEntity item = picked.item();
                        AssignmentEntity a = new AssignmentEntity();
                        a.itemId = item.id;
                        a.reviewerId = caller.id();
                        a.state = AssignmentEntity.ASSIGNED;
                        a.createdAt = ProtoJson.now();
                        a.leaseExpiresAt = a.createdAt.plus(lease);
                        a.reason = "";
                        ItemCounters.assigned(item, caller.id());
                        Uni<List<FeedbackEntity>> feedback = caller.admin() && item.reviewCount > 0
                                ? connection.preparedQuery("select " + FeedbackEntity.COLUMNS
                                                + " from feedback where item_id = $1 order by created_at, id")
                                        .execute(Tuple.of(item.id)).map(rows -> {
                                            List<FeedbackEntity> all = new ArrayList<>();
                                            rows.forEach(row -> all.add(FeedbackEntity.fromRow(row)));
                                            return all;
                                        })
                                : Uni.createFrom().item(List.of());
                        return NextItemStore.assign(connection, a, item).chain(() -> feedback)
                                .map(all -> NextItemResponse.newBuilder()
                                        .setItem(ItemViews.build(item, caller, all, true, picked.evaluation(),
                                                picked.snapshot(), null))
                                        .setRemaining(Math.max(0, picked.available() - 1))
                                        .setLeaseExpireTime(ProtoJson.timestamp(a.leaseExpiresAt)).build());
                    });
        });
    }

    @WithTransaction
    public Uni<ReviewItem> skip(Caller caller, SkipItemRequest r) {
        return ItemEntity.lockInProject(r.getProjectId(), r.getItemId()).chain(item ->
                AssignmentEntity.<AssignmentEntity>list("itemId", item.id).chain(assignments -> {
                    AssignmentEntity mine = assignments.stream()
                            .filter(a -> a.reviewerId.equals(caller.id()) && AssignmentEntity.ASSIGNED.equals(a.state))
                            .findFirst().orElseThrow(() -> ApiException.failedPrecondition("item " + item.id
                                    + " is not assigned to " + caller.id() + ": nothing to give back"));
                    mine.state = AssignmentEntity.SKIPPED;
                    mine.reason = r.getReason();
                    return FeedbackEntity.<FeedbackEntity>list("itemId", item.id).chain(feedback -> {
                        ItemCounters.recount(item, feedback, assignments);
                        return views.view(item, caller, false);
                    });
                }));
    }

    @WithSession
    public Uni<ReviewItem> get(Caller caller, GetItemRequest r) {
        return ItemEntity.findInProject(r.getProjectId(), r.getItemId()).chain(item -> views.view(item, caller, true));
    }

    /** Newest first; the page key is (create time, id). */
    @WithSession
    public Uni<ListItemsResponse> list(Caller caller, ListItemsRequest r) {
        int size = PageToken.pageSize(r.getPageSize(), 50, 500);
        String after = PageToken.decode(r.getPageToken());
        StringBuilder q = new StringBuilder("projectId = :project");
        Map<String, Object> p = new HashMap<>();
        p.put("project", r.getProjectId());
        if (!r.getQueueId().isEmpty()) {
            q.append(" and queueId = :queue");
            p.put("queue", QueueEntity.parseId(r.getQueueId(), "queue_id"));
        }
        if (!r.getMetricId().isEmpty()) {
            q.append(" and metricId = :metric");
            p.put("metric", r.getMetricId());
        }
        if (!r.getStatusesList().isEmpty()) {
            q.append(" and status in :statuses");
            p.put("statuses", r.getStatusesList().stream().map(Enum::name).toList());
        }
        if (!r.getRecordId().isEmpty()) {
            q.append(" and recordId = :record");
            p.put("record", r.getRecordId());
        }
        if (!r.getEvaluationId().isEmpty()) {
            q.append(" and evaluationId = :evaluation");
            p.put("evaluation", r.getEvaluationId());
        }
        if (!r.getReviewedBy().isEmpty()) {
            if (!r.getReviewedBy().equals(caller.id())) {
                caller.requireAdmin("listing another reviewer's items");
            }
            q.append(" and id in (select f.itemId from FeedbackEntity f where f.reviewerId = :reviewer)");
            p.put("reviewer", r.getReviewedBy());
        }
        if (after != null) {
            String[] key = after.split("\n");
            if (key.length != 2) {
                throw ApiException.invalid("page_token", "is not a token returned by this API");
            }
            q.append(" and (createdAt < :afterTime or (createdAt = :afterTime and id < :afterId))");
            p.put("afterTime", OffsetDateTime.parse(key[0]));
            p.put("afterId", UUID.fromString(key[1]));
        }
        q.append(" order by createdAt desc, id desc");
        return ItemEntity.<ItemEntity>find(q.toString(), p).page(0, size + 1).list().chain(rows -> {
            var response = ListItemsResponse.newBuilder();
            if (rows.size() > size) {
                ItemEntity last = rows.get(size - 1);
                response.setNextPageToken(PageToken.encode(last.createdAt + "\n" + last.id));
            }
            return Multi.createFrom().iterable(rows.stream().limit(size).toList())
                    .onItem().transformToUniAndConcatenate(i -> views.view(i, caller, r.getIncludeSnapshots()))
                    .collect().asList().map(items -> response.addAllItems(items).build());
        });
    }

    /** Adds evaluations by id, or records by their newest evaluation of a metric; each refused id is reported. */
    @WithTransaction
    public Uni<AddItemsResponse> add(Caller caller, AddItemsRequest r) {
        caller.requireAdmin("adding items by hand");
        int ids = r.getEvaluationIdsCount() + r.getRecordIdsCount();
        if (ids == 0 || ids > MAX_ADD) {
            throw ApiException.invalid("evaluation_ids", "must hold 1 to " + MAX_ADD + " ids with record_ids (was " + ids + ")");
        }
        return QueueEntity.findInProject(r.getProjectId(), r.getQueueId()).chain(queue -> {
            String metric = r.getMetricId().isEmpty() && queue.metricId != null ? queue.metricId : r.getMetricId();
            if (r.getRecordIdsCount() > 0 && metric.isEmpty()) {
                throw ApiException.invalid("metric_id", "is required with record_ids when the queue has no metric");
            }
            var response = AddItemsResponse.newBuilder();
            Multi<Void> byEvaluation = Multi.createFrom().iterable(r.getEvaluationIdsList())
                    .onItem().transformToUniAndConcatenate(id -> EvaluationEntity.<EvaluationEntity>findById(id)
                            .chain(e -> addOne(caller, queue, id, e, e == null ? "no evaluation " + id
                                    + " in project \"" + r.getProjectId() + "\"" : null, response)));
            Multi<Void> byRecord = Multi.createFrom().iterable(r.getRecordIdsList())
                    .onItem().transformToUniAndConcatenate(record -> EvaluationEntity.<EvaluationEntity>find(
                                    "projectId = ?1 and recordId = ?2 and metricId = ?3 and status = 'STATUS_OK' "
                                            + "order by evaluatedAt desc", r.getProjectId(), record, metric).firstResult()
                            .chain(e -> addOne(caller, queue, record, e, e == null ? "no evaluation of metric " + metric
                                    + " for record " + record : null, response)));
            return byEvaluation.collect().last().chain(() -> byRecord.collect().last()).map(ignored -> response.build());
        });
    }

    private Uni<Void> addOne(Caller caller, QueueEntity queue, String id, EvaluationEntity e, String missing,
            AddItemsResponse.Builder response) {
        if (missing != null || !e.projectId.equals(queue.projectId)) {
            response.addProblems(AddItemProblem.newBuilder().setId(id).setReason(missing != null ? missing
                    : "no evaluation " + id + " in project \"" + queue.projectId + "\""));
            return Uni.createFrom().voidItem();
        }
        if (!Evaluation.Status.STATUS_OK.name().equals(e.status)) {
            response.addProblems(AddItemProblem.newBuilder().setId(id)
                    .setReason("evaluation " + e.id + " has status " + e.status + ": only evaluations with a value are reviewed"));
            return Uni.createFrom().voidItem();
        }
        if (queue.metricId != null && !queue.metricId.equals(e.metricId)) {
            response.addProblems(AddItemProblem.newBuilder().setId(id).setReason("evaluation " + e.id + " is of metric "
                    + e.metricId + "; queue " + queue.name + " takes metric " + queue.metricId));
            return Uni.createFrom().voidItem();
        }
        return ItemEntity.<ItemEntity>find("projectId = ?1 and evaluationId = ?2", e.projectId, e.id).firstResult()
                .chain(existing -> {
                    if (existing != null) {
                        response.addProblems(AddItemProblem.newBuilder().setId(id).setExistingItemId(existing.id.toString())
                                .setReason("already queued in queue " + existing.queueId));
                        return Uni.createFrom().voidItem();
                    }
                    return filling.create(queue, e, ReviewItem.Source.SOURCE_MANUAL, caller.id(), "")
                            .chain(item -> views.view(item, caller, false)).invoke(response::addItems).replaceWithVoid();
                });
    }

    /** Removes an unresolved item with its feedback and assignments (admin); returns it as it was. */
    @WithTransaction
    public Uni<ReviewItem> remove(Caller caller, io.plumbline.proto.annotation.v1.RemoveItemRequest r) {
        caller.requireAdmin("removing an item");
        return ItemEntity.lockInProject(r.getProjectId(), r.getItemId()).chain(item -> {
            if (item.resolved()) {
                throw ApiException.failedPrecondition("item " + item.id + " is resolved (annotation " + item.annotationId
                        + ") and cannot be removed");
            }
            return views.view(item, caller, false).call(() -> FeedbackEntity.delete("itemId", item.id))
                    .call(() -> AssignmentEntity.delete("itemId", item.id)).call(() -> item.delete());
        });
    }

    /** Gives expired assignments' slots back to the pool (the reviewer is not handed the item again). */
    @Scheduled(every = "${plumbline.annotation.lease-sweep-interval:30s}", delayed = "5s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> expireLeases() {
        return Panache.withTransaction(() -> AssignmentEntity.<AssignmentEntity>list(
                        "state = ?1 and leaseExpiresAt < ?2", AssignmentEntity.ASSIGNED, ProtoJson.now())
                .chain(expired -> Multi.createFrom().iterable(expired.stream().map(a -> a.itemId).distinct().toList())
                        .onItem().transformToUniAndConcatenate(ItemService::expireLeasesOf)
                        .collect().last().replaceWithVoid()))
                // The next sweep tries again; a failing sweep only delays freeing slots.
                .onFailure().invoke(e -> org.jboss.logging.Logger.getLogger(ItemService.class)
                        .warnf("Expired assignments not released this time: %s", e.getMessage()))
                .onFailure().recoverWithNull();
    }

    private static Uni<Void> expireLeasesOf(UUID itemId) {
        return ItemEntity.<ItemEntity>findById(itemId, jakarta.persistence.LockModeType.PESSIMISTIC_WRITE).chain(item ->
                AssignmentEntity.<AssignmentEntity>list("itemId", itemId).chain(assignments ->
                        FeedbackEntity.<FeedbackEntity>list("itemId", itemId).invoke(feedback -> {
                            OffsetDateTime now = ProtoJson.now();
                            for (AssignmentEntity a : assignments) {
                                if (AssignmentEntity.ASSIGNED.equals(a.state) && a.leaseExpiresAt.isBefore(now)) {
                                    a.state = AssignmentEntity.EXPIRED;
                                }
                            }
                            ItemCounters.recount(item, feedback, assignments);
                        }))).replaceWithVoid();
    }
}
