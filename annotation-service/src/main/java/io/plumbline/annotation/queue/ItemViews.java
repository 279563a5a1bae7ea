package io.plumbline.annotation.queue;

import io.plumbline.annotation.feedback.FeedbackEntity;
import io.plumbline.annotation.feedback.FeedbackViews;
import io.plumbline.annotation.intake.EvaluationEntity;
import io.plumbline.annotation.resolution.AnnotationEntity;
import io.plumbline.annotation.reviewer.Caller;
import io.plumbline.common.api.ProtoJson;
import io.plumbline.proto.annotation.v1.ReviewItem;
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
                .setCreateTime(ProtoJson.timestamp(item.createdAt));
        if (item.resolvedAt != null) {
            b.setResolveTime(ProtoJson.timestamp(item.resolvedAt));
        }
        showFeedback(b, item, caller, feedback);
        return EvaluationEntity.<EvaluationEntity>findById(item.evaluationId)
                .invoke(e -> {
                    b.setEvaluation(e.toEvaluation());
                    if (withSnapshot) {
                        b.setSnapshot(e.toSnapshot());
                    }
                })
                .chain(() -> item.annotationId == null ? Uni.createFrom().nullItem()
                        : AnnotationEntity.<AnnotationEntity>findById(item.annotationId))
                .map(annotation -> {
                    if (annotation != null) {
                        b.setAnnotationId(annotation.id.toString())
                                .setResolvedValue(annotation.toProto().getExpectedValue());
                    }
                    return b.build();
                });
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
