package io.plumbline.registry.metric;

import io.plumbline.common.api.ApiException;
import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import io.smallrye.mutiny.Uni;
import jakarta.persistence.LockModeType;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.OffsetDateTime;
import java.util.UUID;

/** A metric's settings row. Proto-typed settings are stored in their proto3 JSON mapping. */
@Entity
@Table(name = "metric")
public class MetricEntity extends PanacheEntityBase {

    /** The project of the built-in presets. */
    public static final String BUILTIN_PROJECT = "";

    @Id
    public UUID id;
    @Column(name = "project_id")
    public String projectId;
    public String name;
    public String description;
    public String level;
    @Column(name = "output_type_json")
    public String outputTypeJson;
    @Column(name = "judge_model_json")
    public String judgeModelJson;
    @Column(name = "bindings_json")
    public String bindingsJson;
    @Column(name = "alignment_policy_json")
    public String alignmentPolicyJson;
    public boolean archived;
    public boolean builtin;
    @Column(name = "forked_from_metric_id")
    public UUID forkedFromMetricId;
    @Column(name = "forked_from_version")
    public Integer forkedFromVersion;
    @Column(name = "published_version")
    public int publishedVersion;
    @Column(name = "head_version")
    public int headVersion;
    public long revision;
    @Column(name = "created_at")
    public OffsetDateTime createdAt;
    @Column(name = "updated_at")
    public OffsetDateTime updatedAt;

    /** Records a change: a new revision and update time. */
    public void touch() {
        revision++;
        updatedAt = MetricMapping.now();
    }

    /** The metric if the project may read it (its own metrics and the built-ins), else NOT_FOUND. */
    public static Uni<MetricEntity> findVisible(String projectId, String metricId) {
        UUID id = parseId(metricId, "metric_id");
        return MetricEntity.<MetricEntity>findById(id).map(m -> visibleOrNotFound(m, projectId, metricId));
    }

    /**
     * Locks the metric row for a change of the caller's transaction, so that concurrent changes of one metric queue up
     * and the second sees what the first committed. Built-ins are refused: they change only by forking.
     */
    public static Uni<MetricEntity> lockForChange(String projectId, String metricId) {
        UUID id = parseId(metricId, "metric_id");
        return MetricEntity.<MetricEntity>findById(id, LockModeType.PESSIMISTIC_WRITE).map(m -> {
            MetricEntity metric = visibleOrNotFound(m, projectId, metricId);
            if (metric.builtin) {
                throw ApiException.failedPrecondition("metric " + metric.name + " is a built-in and cannot change; "
                        + "fork it (ForkMetric) into a custom metric and change the fork");
            }
            return metric;
        });
    }

    /** Refuses changes of an archived metric. */
    public MetricEntity requireActive() {
        if (archived) {
            throw ApiException.failedPrecondition("metric " + name + " is archived; restore it (SetArchived false) first");
        }
        return this;
    }

    public static UUID parseId(String id, String field) {
        try {
            return UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid(field, "must be a metric id (a UUID) (was \"" + id + "\")");
        }
    }

    private static MetricEntity visibleOrNotFound(MetricEntity m, String projectId, String metricId) {
        if (m == null || !(m.builtin || m.projectId.equals(projectId))) {
            throw ApiException.notFound("metric " + metricId + " does not exist in project \"" + projectId + "\"");
        }
        return m;
    }
}
