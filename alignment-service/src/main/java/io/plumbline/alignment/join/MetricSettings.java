package io.plumbline.alignment.join;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.OffsetDateTime;
import java.util.UUID;

/** What the alignment-service needs of a metric's settings, kept current from {@code plumbline.metrics}. */
@Entity
@Table(name = "metric_settings")
public class MetricSettings extends PanacheEntityBase {

    @Id
    @Column(name = "metric_id")
    public UUID metricId;
    @Column(name = "project_id")
    public String projectId;
    public String name;
    @Column(name = "output_type_json")
    public String outputTypeJson;
    @Column(name = "alignment_policy_json")
    public String alignmentPolicyJson;
    @Column(name = "published_version")
    public int publishedVersion;
    public boolean builtin;
    @Column(name = "event_time")
    public OffsetDateTime eventTime;
}
