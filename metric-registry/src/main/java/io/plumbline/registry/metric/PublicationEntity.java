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

/** One entry of a metric's publication history: which version started judging, when and by whom. */
@Entity
@Table(name = "metric_publication")
public class PublicationEntity extends PanacheEntityBase {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;
    @Column(name = "metric_id")
    public UUID metricId;
    public int version;
    @Column(name = "previous_version")
    public int previousVersion;
    public String kind;
    @Column(name = "reverted_to_version")
    public int revertedToVersion;
    @Column(name = "actor_user")
    public String actorUser;
    @Column(name = "actor_alignment_run_id")
    public String actorAlignmentRunId;
    @Column(name = "published_at")
    public OffsetDateTime publishedAt;
}
