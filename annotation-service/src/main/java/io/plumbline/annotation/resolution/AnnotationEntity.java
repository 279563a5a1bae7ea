package io.plumbline.annotation.resolution;

import io.plumbline.common.api.ProtoJson;
import io.plumbline.proto.annotation.v1.Annotation;
import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.OffsetDateTime;
import java.util.UUID;

/** A resolved label, stored whole with the columns lists filter on. */
@Entity
@Table(name = "annotation")
public class AnnotationEntity extends PanacheEntityBase {

    @Id
    public UUID id;
    @Column(name = "project_id")
    public String projectId;
    @Column(name = "item_id")
    public UUID itemId;
    @Column(name = "queue_id")
    public UUID queueId;
    @Column(name = "evaluation_id")
    public String evaluationId;
    @Column(name = "metric_id")
    public String metricId;
    @Column(name = "metric_version")
    public int metricVersion;
    @Column(name = "record_id")
    public String recordId;
    @Column(name = "judge_correct")
    public boolean judgeCorrect;
    public int revision;
    /** {@code ResolutionRule} name of the resolution (UNSPECIFIED for imported ones). */
    public String rule;
    public byte[] content;
    @Column(name = "resolved_at")
    public OffsetDateTime resolvedAt;
    @Column(name = "updated_at")
    public OffsetDateTime updatedAt;
    @Column(name = "last_event_id")
    public String lastEventId;

    public Annotation toProto() {
        return ProtoJson.parseBytes(content, Annotation.getDefaultInstance());
    }
}
