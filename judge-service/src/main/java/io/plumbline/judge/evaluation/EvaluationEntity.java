package io.plumbline.judge.evaluation;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.OffsetDateTime;
import java.util.UUID;

/** A stored evaluation (table {@code evaluation}); written once. */
@Entity
@Table(name = "evaluation")
public class EvaluationEntity extends PanacheEntityBase {

    @Id
    public UUID id;
    @Column(name = "project_id")
    public String projectId;
    @Column(name = "metric_id")
    public UUID metricId;
    @Column(name = "metric_version")
    public int metricVersion;
    public String level;
    @Column(name = "record_id")
    public String recordId;
    @Column(name = "trace_id")
    public String traceId;
    @Column(name = "session_id")
    public String sessionId;
    @Column(name = "content_hash")
    public String contentHash;
    public String status;
    public String origin;
    @Column(name = "created_at")
    public OffsetDateTime createdAt;
    /** A boolean or categorical value as text (what the value filter compares); null otherwise. */
    @Column(name = "value_label")
    public String valueLabel;
    /** A percentage, count or discrete value; null otherwise. */
    @Column(name = "value_number")
    public Double valueNumber;
    /** When the judged record ended (its snapshot's end time); null for rows older than the column. */
    @Column(name = "record_end_time")
    public OffsetDateTime recordEndTime;
    /** The recompute job that made it, for ORIGIN_RECOMPUTE. */
    @Column(name = "recompute_job_id")
    public UUID recomputeJobId;
    /** The whole {@code plumbline.judge.v1.Evaluation}. */
    public byte[] evaluation;
    /** The {@code plumbline.judge.v1.RecordSnapshot} judged. */
    public byte[] snapshot;
}
