package io.plumbline.annotation.queue;

import io.plumbline.common.api.ProtoJson;
import io.plumbline.common.api.ApiException;
import io.plumbline.proto.annotation.v1.FillStrategy;
import io.plumbline.proto.annotation.v1.ResolutionSettings;
import io.plumbline.proto.annotation.v1.ReviewQueue;
import io.plumbline.proto.registry.v1.AttributeMatcher;
import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import io.smallrye.mutiny.Uni;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;

/** A review queue's settings. */
@Entity
@Table(name = "review_queue")
public class QueueEntity extends PanacheEntityBase {

    @Id
    public UUID id;
    @Column(name = "project_id")
    public String projectId;
    public String name;
    public String description;
    @Column(name = "metric_id")
    public String metricId;
    @Column(name = "metric_default")
    public boolean metricDefault;
    @Column(name = "strategy_json")
    public String strategyJson;
    @Column(name = "matchers_json")
    public String matchersJson;
    @Column(name = "resolution_json")
    public String resolutionJson;
    public boolean paused;
    public long revision;
    @Column(name = "created_by")
    public String createdBy;
    @Column(name = "created_at")
    public OffsetDateTime createdAt;
    @Column(name = "updated_at")
    public OffsetDateTime updatedAt;

    public FillStrategy strategy() {
        return ProtoJson.parse(strategyJson, FillStrategy.getDefaultInstance());
    }

    public List<AttributeMatcher> matchers() {
        return ProtoJson.parse(matchersJson, ReviewQueue.getDefaultInstance()).getMatchersList();
    }

    /** Matchers are stored as {@code {"matchers": [...]}}, the JSON of a queue holding only them. */
    public static String matchersJson(List<AttributeMatcher> matchers) {
        return ProtoJson.print(ReviewQueue.newBuilder().addAllMatchers(matchers).build());
    }

    /** The queue's override of the metric's resolution settings, or null. */
    public ResolutionSettings resolutionOverride() {
        return resolutionJson == null ? null : ProtoJson.parse(resolutionJson, ResolutionSettings.getDefaultInstance());
    }

    /** The queue if it belongs to the project, else NOT_FOUND. */
    public static Uni<QueueEntity> findInProject(String projectId, String queueId) {
        UUID id = parseId(queueId, "queue_id");
        return QueueEntity.<QueueEntity>findById(id).map(q -> {
            if (q == null || !q.projectId.equals(projectId)) {
                throw ApiException.notFound("queue " + queueId + " does not exist in project \"" + projectId + "\"");
            }
            return q;
        });
    }

    public static UUID parseId(String id, String field) {
        try {
            return UUID.fromString(id);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw ApiException.invalid(field, "must be an id (a UUID) (was \"" + id + "\")");
        }
    }
}
