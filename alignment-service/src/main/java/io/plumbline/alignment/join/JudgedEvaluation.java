package io.plumbline.alignment.join;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.OffsetDateTime;
import java.util.UUID;

/** An evaluation the judge made (status OK), with the snapshot it judged; written once. */
@Entity
@Table(name = "judged_evaluation")
public class JudgedEvaluation extends PanacheEntityBase {

    @Id
    public UUID id;
    @Column(name = "project_id")
    public String projectId;
    @Column(name = "metric_id")
    public UUID metricId;
    @Column(name = "metric_version")
    public int metricVersion;
    @Column(name = "record_json")
    public String recordJson;
    @Column(name = "output_type_json")
    public String outputTypeJson;
    @Column(name = "value_json")
    public String valueJson;
    public String reasoning;
    public byte[] snapshot;
    @Column(name = "evaluated_at")
    public OffsetDateTime evaluatedAt;
}
