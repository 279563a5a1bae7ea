package io.plumbline.annotation.queue;

import io.plumbline.common.api.ApiException;
import io.plumbline.proto.annotation.v1.ResolutionRule;
import io.plumbline.proto.annotation.v1.ResolutionSettings;
import io.plumbline.proto.annotation.v1.ReviewItem;
import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.LockModeType;
import jakarta.persistence.Table;
import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * One evaluation in a queue. The settings in force (rule, required reviews, principal, tolerance) and the counters live
 * on the row so
 * that NextItem can decide on the locked row alone; every change of an item's feedback or assignments locks the row
 * first and recomputes the counters ({@link ItemCounters}).
 */
@Entity
@Table(name = "review_item")
public class ItemEntity extends PanacheEntityBase {

    /** The columns {@link #fromRow} reads, for statements of the reactive client. */
    public static final String COLUMNS = """
            id, project_id, queue_id, evaluation_id, metric_id, record_id, status, source, added_by, stratum,
            required_reviews, principal_reviewer_id, rule, numeric_tolerance, review_count, open_assignments,
            principal_in, annotation_id, created_at, resolved_at""";

    @Id
    public UUID id;
    @Column(name = "project_id")
    public String projectId;
    @Column(name = "queue_id")
    public UUID queueId;
    @Column(name = "evaluation_id")
    public String evaluationId;
    @Column(name = "metric_id")
    public String metricId;
    @Column(name = "record_id")
    public String recordId;
    public String status;
    public String source;
    @Column(name = "added_by")
    public String addedBy;
    public String stratum;
    @Column(name = "required_reviews")
    public int requiredReviews;
    @Column(name = "principal_reviewer_id")
    public String principalReviewerId;
    /** {@link ResolutionRule} name. */
    public String rule;
    @Column(name = "numeric_tolerance")
    public double numericTolerance;
    @Column(name = "review_count")
    public int reviewCount;
    @Column(name = "open_assignments")
    public int openAssignments;
    @Column(name = "principal_in")
    public boolean principalIn;
    @Column(name = "annotation_id")
    public UUID annotationId;
    @Column(name = "created_at")
    public OffsetDateTime createdAt;
    @Column(name = "resolved_at")
    public OffsetDateTime resolvedAt;

    /** An item read by the reactive client ({@link #COLUMNS}), outside any Hibernate session. */
    public static ItemEntity fromRow(Row r) {
        ItemEntity i = new ItemEntity();
        i.id = r.getUUID("id");
        i.projectId = r.getString("project_id");
        i.queueId = r.getUUID("queue_id");
        i.evaluationId = r.getString("evaluation_id");
        i.metricId = r.getString("metric_id");
        i.recordId = r.getString("record_id");
        i.status = r.getString("status");
        i.source = r.getString("source");
        i.addedBy = r.getString("added_by");
        i.stratum = r.getString("stratum");
        i.requiredReviews = r.getInteger("required_reviews");
        i.principalReviewerId = r.getString("principal_reviewer_id");
        i.rule = r.getString("rule");
        i.numericTolerance = r.getDouble("numeric_tolerance");
        i.reviewCount = r.getInteger("review_count");
        i.openAssignments = r.getInteger("open_assignments");
        i.principalIn = r.getBoolean("principal_in");
        i.annotationId = r.getUUID("annotation_id");
        i.createdAt = r.getOffsetDateTime("created_at");
        i.resolvedAt = r.getOffsetDateTime("resolved_at");
        return i;
    }

    /** The resolution settings in force for the item, as kept on its row. */
    public ResolutionSettings settings() {
        var b = ResolutionSettings.newBuilder().setRule(ResolutionRule.valueOf(rule))
                .setRequiredReviews(requiredReviews).setNumericTolerance(numericTolerance);
        if (ResolutionRule.RESOLUTION_RULE_PRINCIPAL_EXPERT.name().equals(rule)) {
            b.setPrincipalReviewerId(principalReviewerId);
        }
        return b.build();
    }

    /** Puts the settings in force on the row (the caller recounts the item and settles it). */
    public void useSettings(ResolutionSettings settings) {
        rule = settings.getRule().name();
        requiredReviews = settings.getRequiredReviews();
        principalReviewerId = settings.getPrincipalReviewerId();
        numericTolerance = settings.getNumericTolerance();
    }

    public ReviewItem.Status statusEnum() {
        return ReviewItem.Status.valueOf(status);
    }

    public boolean resolved() {
        return ReviewItem.Status.STATUS_RESOLVED.name().equals(status);
    }

    /** The item, locked for a change in the caller's transaction; NOT_FOUND when it is not the project's. */
    public static Uni<ItemEntity> lockInProject(String projectId, String itemId) {
        UUID id = QueueEntity.parseId(itemId, "item_id");
        return ItemEntity.<ItemEntity>findById(id, LockModeType.PESSIMISTIC_WRITE).map(i -> inProject(i, projectId, itemId));
    }

    public static Uni<ItemEntity> findInProject(String projectId, String itemId) {
        UUID id = QueueEntity.parseId(itemId, "item_id");
        return ItemEntity.<ItemEntity>findById(id).map(i -> inProject(i, projectId, itemId));
    }

    private static ItemEntity inProject(ItemEntity item, String projectId, String itemId) {
        if (item == null || !item.projectId.equals(projectId)) {
            throw ApiException.notFound("item " + itemId + " does not exist in project \"" + projectId + "\"");
        }
        return item;
    }
}
