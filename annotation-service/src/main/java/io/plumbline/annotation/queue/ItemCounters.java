package io.plumbline.annotation.queue;

import io.plumbline.annotation.feedback.FeedbackEntity;
import java.util.List;

/** Recomputes an item's counters from its feedback and assignments; call it with the item row locked. */
public final class ItemCounters {

    private ItemCounters() {
    }

    public static void recount(ItemEntity item, List<FeedbackEntity> feedback, List<AssignmentEntity> assignments) {
        item.reviewCount = feedback.size();
        item.openAssignments = (int) assignments.stream().filter(a -> AssignmentEntity.ASSIGNED.equals(a.state)).count();
        String principal = item.principalReviewerId;
        item.principalIn = !principal.isEmpty()
                && (feedback.stream().anyMatch(f -> f.reviewerId.equals(principal))
                        || assignments.stream().anyMatch(a -> a.reviewerId.equals(principal)
                                && AssignmentEntity.ASSIGNED.equals(a.state)));
    }

    /**
     * Whether the item can take one more reviewer: reviews plus open assignments stay within the required reviews,
     * one slot staying reserved for a principal reviewer who is not in yet.
     */
    public static boolean hasRoomFor(ItemEntity item, String reviewerId) {
        boolean principalPending = !item.principalReviewerId.isEmpty() && !item.principalIn;
        if (principalPending && item.principalReviewerId.equals(reviewerId)) {
            return true;
        }
        int reserved = principalPending ? 1 : 0;
        return item.reviewCount + item.openAssignments + reserved < item.requiredReviews;
    }
}
