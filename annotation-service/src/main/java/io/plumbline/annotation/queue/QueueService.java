package io.plumbline.annotation.queue;

import io.plumbline.annotation.Ids;
import io.plumbline.annotation.resolution.ResolutionSettingsService;
import io.plumbline.annotation.reviewer.Caller;
import io.plumbline.common.api.ProtoJson;
import io.plumbline.common.api.ApiException;
import io.plumbline.common.api.PageToken;
import io.plumbline.common.api.Violations;
import io.plumbline.proto.annotation.v1.CreateQueueRequest;
import io.plumbline.proto.annotation.v1.DeleteQueueRequest;
import io.plumbline.proto.annotation.v1.DeleteQueueResponse;
import io.plumbline.proto.annotation.v1.GetQueueRequest;
import io.plumbline.proto.annotation.v1.ListQueuesRequest;
import io.plumbline.proto.annotation.v1.ListQueuesResponse;
import io.plumbline.proto.annotation.v1.QueueCounts;
import io.plumbline.proto.annotation.v1.ReviewQueue;
import io.plumbline.proto.annotation.v1.UpdateQueueRequest;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.hibernate.reactive.panache.common.WithTransaction;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Review queues: their settings, counts and progress. */
@ApplicationScoped
public class QueueService {

    private final ResolutionSettingsService settings;

    QueueService(ResolutionSettingsService settings) {
        this.settings = settings;
    }

    /** A queue's counts, for the reactive client ({@code $1}: the queue id). */
    static final String COUNTS_SQL = """
            select count(*),
                   count(*) filter (where i.review_count > 0),
                   count(*) filter (where i.status = 'STATUS_RESOLVED'),
                   count(*) filter (where i.status = 'STATUS_AWAITING_ADJUDICATION'),
                   count(*) filter (where i.status = 'STATUS_OPEN'),
                   count(*) filter (where i.status = 'STATUS_RESOLVED' and not a.judge_correct)
            from review_item i left join annotation a on a.id = i.annotation_id
            where i.queue_id = $1""";

    static QueueCounts counts(io.vertx.mutiny.sqlclient.Row row) {
        return QueueCounts.newBuilder().setTotal(row.getLong(0)).setReviewed(row.getLong(1)).setResolved(row.getLong(2))
                .setAwaitingAdjudication(row.getLong(3)).setOpen(row.getLong(4)).setJudgeIncorrect(row.getLong(5))
                .build();
    }

    private static final String COUNTS = """
            select count(*),
                   count(*) filter (where i.review_count > 0),
                   count(*) filter (where i.status = 'STATUS_RESOLVED'),
                   count(*) filter (where i.status = 'STATUS_AWAITING_ADJUDICATION'),
                   count(*) filter (where i.status = 'STATUS_OPEN'),
                   count(*) filter (where i.status = 'STATUS_RESOLVED' and not a.judge_correct)
            from review_item i left join annotation a on a.id = i.annotation_id
            where i.queue_id = :queue""";

    @WithTransaction
    public Uni<ReviewQueue> create(Caller caller, CreateQueueRequest r) {
        caller.requireAdmin("creating a queue");
        Violations v = new Violations();
        QueueRules.settings(r.getName(), r.getDescription(), r.getMetricId(), r.getStrategy(), r.getMatchersList(),
                r.getResolution(), r.hasResolution(), v);
        v.throwIfAny();
        QueueEntity q = new QueueEntity();
        q.id = Ids.newId();
        q.projectId = r.getProjectId();
        q.name = r.getName();
        q.description = r.getDescription();
        q.metricId = r.getMetricId().isEmpty() ? null : r.getMetricId();
        q.strategyJson = ProtoJson.print(r.getStrategy());
        q.matchersJson = QueueEntity.matchersJson(r.getMatchersList());
        q.resolutionJson = r.hasResolution() ? ProtoJson.print(r.getResolution()) : null;
        q.paused = r.getPaused();
        q.revision = 1;
        q.createdBy = caller.id();
        q.createdAt = ProtoJson.now();
        q.updatedAt = q.createdAt;
        return requireFreeName(q.projectId, q.name, null).chain(() -> q.persist()).chain(() -> toProto(q));
    }

    @WithSession
    public Uni<ReviewQueue> get(GetQueueRequest r) {
        return QueueEntity.findInProject(r.getProjectId(), r.getQueueId()).chain(QueueService::toProto);
    }

    /** By name; the page key is the name. */
    @WithSession
    public Uni<ListQueuesResponse> list(Caller caller, ListQueuesRequest r) {
        int size = PageToken.pageSize(r.getPageSize(), 50, 500);
        String after = PageToken.decode(r.getPageToken());
        StringBuilder q = new StringBuilder("projectId = :project");
        Map<String, Object> p = new HashMap<>();
        p.put("project", r.getProjectId());
        if (!r.getMetricId().isEmpty()) {
            q.append(" and metricId = :metric");
            p.put("metric", r.getMetricId());
        }
        if (r.getExcludeMetricDefault()) {
            q.append(" and metricDefault = false");
        }
        if (r.getAvailableToMe()) {
            // NextItem's conditions: an open item the caller was never handed nor reviewed, with room for them.
            q.append(" ").append("""
                     and id in (select i.queueId from ItemEntity i where i.projectId = :project
                         and i.status = 'STATUS_OPEN'
                         and not exists (select 1 from AssignmentEntity a where a.itemId = i.id and a.reviewerId = :me)
                         and not exists (select 1 from FeedbackEntity f where f.itemId = i.id and f.reviewerId = :me)
                         and ((i.principalReviewerId = :me and i.principalIn = false)
                              or i.reviewCount + i.openAssignments
                                 + case when i.principalReviewerId <> '' and i.principalIn = false then 1 else 0 end
                                 < i.requiredReviews))""".replace('\n', ' '));
            p.put("me", caller.id());
        }
        if (after != null) {
            q.append(" and name > :after");
            p.put("after", after);
        }
        q.append(" order by name");
        return QueueEntity.<QueueEntity>find(q.toString(), p).page(0, size + 1).list().chain(rows -> {
            var response = ListQueuesResponse.newBuilder();
            if (rows.size() > size) {
                response.setNextPageToken(PageToken.encode(rows.get(size - 1).name));
            }
            return Multi.createFrom().iterable(rows.stream().limit(size).toList())
                    .onItem().transformToUniAndConcatenate(QueueService::toProto)
                    .collect().asList().map(queues -> response.addAllQueues(queues).build());
        });
    }

    @WithTransaction
    public Uni<ReviewQueue> update(Caller caller, UpdateQueueRequest r) {
        caller.requireAdmin("changing a queue");
        return QueueEntity.<QueueEntity>findById(QueueEntity.parseId(r.getQueueId(), "queue_id"),
                LockModeType.PESSIMISTIC_WRITE).chain(q -> {
            if (q == null || !q.projectId.equals(r.getProjectId())) {
                throw ApiException.notFound("queue " + r.getQueueId() + " does not exist in project \""
                        + r.getProjectId() + "\"");
            }
            Violations v = new Violations();
            QueueRules.settings(r.getName(), r.getDescription(), q.metricId == null ? "" : q.metricId, r.getStrategy(),
                    r.getMatchersList(), r.getResolution(), r.hasResolution(), v);
            v.throwIfAny();
            if (r.getExpectedRevision() != 0 && r.getExpectedRevision() != q.revision) {
                throw ApiException.aborted("queue " + q.name + " changed since revision " + r.getExpectedRevision()
                        + ": it is at revision " + q.revision + "; read it again and retry",
                        Map.of("revision", Long.toString(q.revision)));
            }
            return requireFreeName(q.projectId, r.getName(), q.id).chain(() -> {
                q.name = r.getName();
                q.description = r.getDescription();
                q.strategyJson = ProtoJson.print(r.getStrategy());
                q.matchersJson = QueueEntity.matchersJson(r.getMatchersList());
                q.resolutionJson = r.hasResolution() ? ProtoJson.print(r.getResolution()) : null;
                q.paused = r.getPaused();
                q.revision++;
                q.updatedAt = ProtoJson.now();
                return settings.applyToUnresolvedItems(q).chain(() -> toProto(q));
            });
        });
    }

    @WithTransaction
    public Uni<DeleteQueueResponse> delete(Caller caller, DeleteQueueRequest r) {
        caller.requireAdmin("deleting a queue");
        return QueueEntity.findInProject(r.getProjectId(), r.getQueueId()).chain(q -> {
            if (q.metricDefault) {
                throw ApiException.failedPrecondition("queue " + q.name + " is its metric's default queue and cannot be "
                        + "deleted; pause it instead");
            }
            return ItemEntity.count("queueId = ?1 and status = 'STATUS_RESOLVED'", q.id).chain(kept ->
                    ItemEntity.delete("queueId = ?1 and status <> 'STATUS_RESOLVED'", q.id).chain(removed ->
                            // Resolved items go with the queue; their annotations stay (no foreign key).
                            ItemEntity.delete("queueId = ?1", q.id).chain(() -> q.delete())
                                    .map(ignored -> DeleteQueueResponse.newBuilder().setItemsRemoved(removed)
                                            .setAnnotationsKept(kept).build())));
        });
    }

    static Uni<ReviewQueue> toProto(QueueEntity q) {
        return counts(q.id).map(counts -> {
            var b = ReviewQueue.newBuilder()
                    .setId(q.id.toString())
                    .setProjectId(q.projectId)
                    .setName(q.name)
                    .setDescription(q.description)
                    .setMetricId(q.metricId == null ? "" : q.metricId)
                    .setMetricDefault(q.metricDefault)
                    .setStrategy(q.strategy())
                    .addAllMatchers(q.matchers())
                    .setPaused(q.paused)
                    .setCounts(counts)
                    .setRevision(q.revision)
                    .setCreatedBy(q.createdBy)
                    .setCreateTime(ProtoJson.timestamp(q.createdAt))
                    .setUpdateTime(ProtoJson.timestamp(q.updatedAt));
            if (q.resolutionOverride() != null) {
                b.setResolution(q.resolutionOverride());
            }
            return b.build();
        });
    }

    static Uni<QueueCounts> counts(UUID queueId) {
        return Panache.getSession().chain(s -> s.createNativeQuery(COUNTS, Object[].class)
                .setParameter("queue", queueId).getSingleResult()).map(row -> QueueCounts.newBuilder()
                .setTotal(n(row[0])).setReviewed(n(row[1])).setResolved(n(row[2]))
                .setAwaitingAdjudication(n(row[3])).setOpen(n(row[4])).setJudgeIncorrect(n(row[5])).build());
    }

    private static long n(Object o) {
        return o == null ? 0 : ((Number) o).longValue();
    }

    private static Uni<Void> requireFreeName(String projectId, String name, UUID except) {
        return QueueEntity.count("projectId = ?1 and name = ?2 and id <> ?3", projectId, name,
                except == null ? new UUID(0, 0) : except).map(n -> {
                    if (n > 0) {
                        throw ApiException.alreadyExists("a queue named \"" + name + "\" already exists in project \""
                                + projectId + "\"; pick another name");
                    }
                    return null;
                });
    }
}
