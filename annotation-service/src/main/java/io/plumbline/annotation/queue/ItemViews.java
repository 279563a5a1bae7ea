package io.plumbline.annotation.queue;

import io.plumbline.annotation.feedback.FeedbackEntity;
import io.plumbline.annotation.feedback.FeedbackViews;
import io.plumbline.annotation.intake.EvaluationEntity;
import io.plumbline.annotation.resolution.AnnotationEntity;
import io.plumbline.annotation.resolution.ResolutionSettingsService;
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

    private final ResolutionSettingsService settings;

    ItemViews(ResolutionSettingsService settings) {
        this.settings = settings;
    }

    public Uni<ReviewItem> view(ItemEntity item, Caller caller, boolean withSnapshot) {
        var b = ReviewItem.newBuilder()
                .setId(item.id.toString())
                .setProjectId(item.projectId)
                .setQueueId(item.queueId.toString())
                .setStatus(item.statusEnum())
                .setSource(ReviewItem.Source.valueOf(item.source))
                .setAddedBy(item.addedBy)
                .setReviewCount(item.reviewCount)
                .setOpenAssignments(item.openAssignments)
                .setCreateTime(ProtoJson.timestamp(item.createdAt));
        if (item.resolvedAt != null) {
            b.setResolveTime(ProtoJson.timestamp(item.resolvedAt));
        }
        return EvaluationEntity.<EvaluationEntity>findById(item.evaluationId)
                .invoke(e -> {
                    b.setEvaluation(e.toEvaluation());
                    if (withSnapshot) {
                        b.setSnapshot(e.toSnapshot());
                    }
                })
                .chain(() -> settings.inForce(item)).invoke(b::setResolution)
                .chain(() -> FeedbackEntity.<FeedbackEntity>list("itemId = ?1 order by createdAt", item.id))
                .invoke(feedback -> showFeedback(b, item, caller, feedback))
                .chain(() -> AssignmentEntity.<AssignmentEntity>find("itemId = ?1 and reviewerId = ?2", item.id, caller.id())
                        .<AssignmentEntity>firstResult())
                .invoke(a -> b.setAssignedToMe(a != null && AssignmentEntity.ASSIGNED.equals(a.state)))
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
