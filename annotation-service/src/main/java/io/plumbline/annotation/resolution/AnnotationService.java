package io.plumbline.annotation.resolution;

import io.plumbline.annotation.queue.QueueEntity;
import io.plumbline.common.api.ProtoJson;
import io.plumbline.common.api.ApiException;
import io.plumbline.common.api.PageToken;
import io.plumbline.proto.annotation.v1.Annotation;
import io.plumbline.proto.annotation.v1.GetAnnotationRequest;
import io.plumbline.proto.annotation.v1.ListAnnotationsRequest;
import io.plumbline.proto.annotation.v1.ListAnnotationsResponse;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/** Reads resolved annotations. */
@ApplicationScoped
public class AnnotationService {

    @WithSession
    public Uni<Annotation> get(GetAnnotationRequest request) {
        UUID id = QueueEntity.parseId(request.getAnnotationId(), "annotation_id");
        return AnnotationEntity.<AnnotationEntity>findById(id).map(a -> {
            if (a == null || !a.projectId.equals(request.getProjectId())) {
                throw ApiException.notFound("annotation " + request.getAnnotationId() + " does not exist in project \""
                        + request.getProjectId() + "\"");
            }
            return a.toProto();
        });
    }

    /** Newest change first; the page key is (update time, id). */
    @WithSession
    public Uni<ListAnnotationsResponse> list(ListAnnotationsRequest request) {
        int size = PageToken.pageSize(request.getPageSize(), 50, 500);
        String after = PageToken.decode(request.getPageToken());
        if (request.getMetricVersion() != 0 && request.getMetricId().isEmpty()) {
            throw ApiException.invalid("metric_version", "requires metric_id");
        }
        StringBuilder q = new StringBuilder("projectId = :project");
        Map<String, Object> p = new HashMap<>();
        p.put("project", request.getProjectId());
        if (!request.getMetricId().isEmpty()) {
            q.append(" and metricId = :metric");
            p.put("metric", request.getMetricId());
        }
        if (request.getMetricVersion() != 0) {
            q.append(" and metricVersion = :version");
            p.put("version", request.getMetricVersion());
        }
        if (!request.getQueueId().isEmpty()) {
            q.append(" and queueId = :queue");
            p.put("queue", QueueEntity.parseId(request.getQueueId(), "queue_id"));
        }
        if (!request.getRecordId().isEmpty()) {
            q.append(" and recordId = :record");
            p.put("record", request.getRecordId());
        }
        if (!request.getEvaluationId().isEmpty()) {
            q.append(" and evaluationId = :evaluation");
            p.put("evaluation", request.getEvaluationId());
        }
        if (request.hasJudgeCorrect()) {
            q.append(" and judgeCorrect = :correct");
            p.put("correct", request.getJudgeCorrect());
        }
        if (request.hasUpdateTime() && request.getUpdateTime().hasStartTime()) {
            q.append(" and updatedAt >= :from");
            p.put("from", ProtoJson.offsetDateTime(request.getUpdateTime().getStartTime()));
        }
        if (request.hasUpdateTime() && request.getUpdateTime().hasEndTime()) {
            q.append(" and updatedAt < :to");
            p.put("to", ProtoJson.offsetDateTime(request.getUpdateTime().getEndTime()));
        }
        if (after != null) {
            String[] key = after.split("\n");
            if (key.length != 2) {
                throw ApiException.invalid("page_token", "is not a token returned by this API");
            }
            q.append(" and (updatedAt < :afterTime or (updatedAt = :afterTime and id < :afterId))");
            p.put("afterTime", OffsetDateTime.parse(key[0]));
            p.put("afterId", UUID.fromString(key[1]));
        }
        q.append(" order by updatedAt desc, id desc");
        // Tags live inside the stored annotation: filtered here, so a tag filter may return short pages.
        return AnnotationEntity.<AnnotationEntity>find(q.toString(), p).page(0, size + 1).list().map(rows -> {
            var response = ListAnnotationsResponse.newBuilder();
            rows.stream().limit(size).map(AnnotationEntity::toProto)
                    .filter(a -> request.getTag().isEmpty() || a.getCritiquesList().stream()
                            .anyMatch(c -> c.getTagsList().contains(request.getTag())))
                    .forEach(response::addAnnotations);
            if (rows.size() > size) {
                AnnotationEntity last = rows.get(size - 1);
                response.setNextPageToken(PageToken.encode(last.updatedAt + "\n" + last.id));
            }
            return response.build();
        });
    }
}
