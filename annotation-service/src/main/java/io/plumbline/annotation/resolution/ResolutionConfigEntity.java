package io.plumbline.annotation.resolution;

import io.plumbline.common.api.ProtoJson;
import io.plumbline.proto.annotation.v1.ResolutionSettings;
import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.OffsetDateTime;
import java.util.UUID;

/** A metric's resolution settings, once set. */
@Entity
@Table(name = "resolution_config")
public class ResolutionConfigEntity extends PanacheEntityBase {

    @Id
    public UUID id;
    @Column(name = "project_id")
    public String projectId;
    @Column(name = "metric_id")
    public String metricId;
    @Column(name = "settings_json")
    public String settingsJson;
    public long revision;
    @Column(name = "updated_by")
    public String updatedBy;
    @Column(name = "updated_at")
    public OffsetDateTime updatedAt;

    public ResolutionSettings settings() {
        return ProtoJson.parse(settingsJson, ResolutionSettings.getDefaultInstance());
    }
}
