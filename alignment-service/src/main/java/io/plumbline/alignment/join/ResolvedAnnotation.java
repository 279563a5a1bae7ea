package io.plumbline.alignment.join;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.OffsetDateTime;
import java.util.UUID;

/** The experts' resolved label for one evaluation, at its newest revision. */
@Entity
@Table(name = "resolved_annotation")
public class ResolvedAnnotation extends PanacheEntityBase {

    @Id
    public UUID id;
    @Column(name = "project_id")
    public String projectId;
    @Column(name = "evaluation_id")
    public UUID evaluationId;
    @Column(name = "metric_id")
    public UUID metricId;
    @Column(name = "metric_version")
    public int metricVersion;
    @Column(name = "judge_value_json")
    public String judgeValueJson;
    @Column(name = "judge_reasoning")
    public String judgeReasoning;
    @Column(name = "expected_value_json")
    public String expectedValueJson;
    /** The whole {@code plumbline.annotation.v1.Annotation}: critiques, reviewers, rule. */
    public byte[] annotation;
    /** Boolean and categorical: the expert's value is the judge's; numeric: the same number. */
    @Column(name = "values_equal")
    public boolean valuesEqual;
    /** Numeric types: |judge - expected|; null for boolean and categorical. */
    @Column(name = "numeric_delta")
    public Double numericDelta;
    public int revision;
    @Column(name = "resolved_at")
    public OffsetDateTime resolvedAt;
    @Column(name = "updated_at")
    public OffsetDateTime updatedAt;
}
