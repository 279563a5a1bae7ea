package io.plumbline.annotation.intake;

import io.plumbline.common.api.ProtoJson;
import io.plumbline.proto.judge.v1.Evaluation;
import io.plumbline.proto.judge.v1.RecordSnapshot;
import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.OffsetDateTime;

/** An evaluation as the judge emitted it, with the snapshot it judged: what a reviewer sees on one screen. */
@Entity
@Table(name = "evaluation")
public class EvaluationEntity extends PanacheEntityBase {

    @Id
    public String id;
    @Column(name = "event_id")
    public String eventId;
    @Column(name = "project_id")
    public String projectId;
    @Column(name = "metric_id")
    public String metricId;
    @Column(name = "metric_version")
    public int metricVersion;
    @Column(name = "record_id")
    public String recordId;
    public String status;
    public byte[] evaluation;
    public byte[] snapshot;
    @Column(name = "evaluated_at")
    public OffsetDateTime evaluatedAt;
    @Column(name = "received_at")
    public OffsetDateTime receivedAt;

    public Evaluation toEvaluation() {
        return ProtoJson.parseBytes(evaluation, Evaluation.getDefaultInstance());
    }

    public RecordSnapshot toSnapshot() {
        return ProtoJson.parseBytes(snapshot, RecordSnapshot.getDefaultInstance());
    }
}
