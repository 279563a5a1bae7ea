package io.plumbline.alignment.run;

import io.plumbline.common.api.ProtoJson;
import io.plumbline.proto.alignment.v1.AlignmentRun;
import io.plumbline.proto.registry.v1.VersionContent;
import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import io.smallrye.mutiny.Uni;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.OffsetDateTime;
import java.util.UUID;

/** One alignment run, durable: the run as the API shows it, and what it needs to resume. */
@Entity
@Table(name = "alignment_run")
public class RunEntity extends PanacheEntityBase {

    @Id
    public UUID id;
    @Column(name = "project_id")
    public String projectId;
    @Column(name = "metric_id")
    public UUID metricId;
    @Column(name = "request_id")
    public String requestId;
    public String status;
    public byte[] run;
    @Column(name = "split_json")
    public String splitJson;
    public byte[] candidate;
    @Column(name = "created_at")
    public OffsetDateTime createdAt;
    @Column(name = "updated_at")
    public OffsetDateTime updatedAt;

    public AlignmentRun proto() {
        return ProtoJson.parseBytes(run, AlignmentRun.getDefaultInstance());
    }

    void set(AlignmentRun updated) {
        run = updated.toByteArray();
        status = updated.getStatus().name();
        updatedAt = ProtoJson.offsetDateTime(updated.getUpdateTime());
    }

    /** The metric's newest run, or null. */
    public static Uni<RunEntity> latest(UUID metricId) {
        return RunEntity.<RunEntity>find("metricId = ?1 order by createdAt desc, id desc", metricId).firstResult();
    }

    /** The annotation ids of the train split (what the run learned from); empty before loading. */
    public java.util.List<UUID> trainIds() {
        return splitIds("train");
    }

    java.util.List<UUID> splitIds(String part) {
        java.util.List<UUID> ids = new java.util.ArrayList<>();
        if (splitJson == null) {
            return ids;
        }
        try {
            new com.fasterxml.jackson.databind.ObjectMapper().readTree(splitJson).path(part)
                    .forEach(id -> ids.add(UUID.fromString(id.asText())));
        } catch (java.io.IOException e) {
            throw new IllegalStateException("the stored split of run " + id + " does not parse", e);
        }
        return ids;
    }

    VersionContent candidateContent() {
        return candidate == null ? null : ProtoJson.parseBytes(candidate, VersionContent.getDefaultInstance());
    }

    public static boolean terminal(AlignmentRun.Status status) {
        return status == AlignmentRun.Status.STATUS_ALIGNED || status == AlignmentRun.Status.STATUS_ERROR
                || status == AlignmentRun.Status.STATUS_CANCELLED;
    }
}
