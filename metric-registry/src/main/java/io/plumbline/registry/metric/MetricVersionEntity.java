package io.plumbline.registry.metric;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.OffsetDateTime;
import java.util.UUID;

/** An immutable version row: written once, never updated. */
@Entity
@Table(name = "metric_version")
public class MetricVersionEntity extends PanacheEntityBase {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;
    @Column(name = "metric_id")
    public UUID metricId;
    public int version;
    @Column(name = "prompt_template")
    public String promptTemplate;
    @Column(name = "guidelines_json")
    public String guidelinesJson;
    @Column(name = "examples_json")
    public String examplesJson;
    @Column(name = "parent_version")
    public int parentVersion;
    @Column(name = "author_user")
    public String authorUser;
    @Column(name = "author_alignment_run_id")
    public String authorAlignmentRunId;
    @Column(name = "change_note")
    public String changeNote;
    @Column(name = "content_hash")
    public String contentHash;
    @Column(name = "created_at")
    public OffsetDateTime createdAt;
}
