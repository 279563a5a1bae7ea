package io.plumbline.annotation.queue;

import io.plumbline.annotation.feedback.FeedbackEntity;
import io.plumbline.annotation.feedback.FeedbackViews;
import io.plumbline.annotation.intake.EvaluationEntity;
import io.plumbline.annotation.resolution.AnnotationEntity;
import io.plumbline.annotation.reviewer.Caller;
import io.plumbline.common.api.ProtoJson;
import io.plumbline.proto.annotation.v1.ReviewItem;
import io.plumbline.proto.annotation.v1.Annotation;
import io.plumbline.proto.judge.v1.Evaluation;
import io.plumbline.proto.judge.v1.RecordSnapshot;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;

/**
 * Items as a caller may see them. Blind review: until an item is resolved, a reviewer sees only their own feedback;
 * everyone's is shown once it is resolved, and to admins.
 */
@ApplicationScoped
public class ItemViews {

    public Uni<ReviewItem> view(ItemEntity item, Caller caller, boolean withSnapshot) {
        return FeedbackEntity.<FeedbackEntity>list("itemId = ?1 order by createdAt", item.id)
                .chain(feedback -> AssignmentEntity.mine(item.id, caller.id()).chain(a -> view(item, caller,
                        withSnapshot, feedback, a != null && AssignmentEntity.ASSIGNED.equals(a.state))));
    }

    /**
     * The item with the feedback and assignment state the caller's transaction already holds; the evaluation and
     * annotation come from the session when it loaded them.
     */
    public Uni<ReviewItem> view(ItemEntity item, Caller caller, boolean withSnapshot, List<FeedbackEntity> feedback,
            boolean assignedToMe) {
        return EvaluationEntity.<EvaluationEntity>findById(item.evaluationId)
                .chain(e -> (item.annotationId == null ? Uni.createFrom().<AnnotationEntity>nullItem()
                        : AnnotationEntity.<AnnotationEntity>findById(item.annotationId))
                        .map(annotation -> build(item, caller, feedback, assignedToMe, e.toEvaluation(),
                                withSnapshot ? e.toSnapshot() : null, annotation == null ? null : annotation.toProto())));
    }

    /**
     * The item as {@code caller} may see it, from what the caller's transaction holds: its feedback, whether the caller
     * holds an assignment, the evaluation, the snapshot (null: left out) and the annotation (null: none).
     */
    public static ReviewItem build(ItemEntity item, Caller caller, List<FeedbackEntity> feedback, boolean assignedToMe,
            Evaluation evaluation, RecordSnapshot snapshot, Annotation annotation) {
        var b = ReviewItem.newBuilder()
                .setId(item.id.toString())
                .setProjectId(item.projectId)
                .setQueueId(item.queueId.toString())
                .setStatus(item.statusEnum())
                .setSource(ReviewItem.Source.valueOf(item.source))
                .setAddedBy(item.addedBy)
                .setResolution(item.settings())
                .setReviewCount(item.reviewCount)
                .setOpenAssignments(item.openAssignments)
                .setAssignedToMe(assignedToMe)
                .setCreateTime(ProtoJson.timestamp(item.createdAt))
                .setEvaluation(evaluation);
        if (item.resolvedAt != null) {
            b.setResolveTime(ProtoJson.timestamp(item.resolvedAt));
        }
        if (snapshot != null) {
            b.setSnapshot(snapshot);
        }
        if (annotation != null) {
            b.setAnnotationId(annotation.getId()).setResolvedValue(annotation.getExpectedValue());
        }
        showFeedback(b, item, caller, feedback);
        return b.build();
    }

    private static void showFeedback(ReviewItem.Builder b, ItemEntity item, Caller caller, List<FeedbackEntity> feedback) {
        boolean seeAll = item.resolved() || caller.admin();
        for (FeedbackEntity f : feedback) {
            if (f.reviewerId.equals(caller.id())) {
                b.setMyFeedback(FeedbackViews.toProto(f));
            }
            if (seeAll) {
                b.addFeedback(FeedbackViews.toProto(f));
            }
        }
    }
}
