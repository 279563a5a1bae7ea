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
     * The counters after one more feedback by {@code reviewerId} (the row locked, its counters current): what
     * {@link #recount} would give without reading the item's feedback and assignments again.
     */
    public static void reviewed(ItemEntity item, String reviewerId, boolean heldAnAssignment) {
        item.reviewCount++;
        if (heldAnAssignment) {
            item.openAssignments--;
        }
        item.principalIn = item.principalIn || (!item.principalReviewerId.isEmpty()
                && item.principalReviewerId.equals(reviewerId));
    }

    /** The counters after {@code reviewerId}, without feedback or assignment on the item, was handed it. */
    public static void assigned(ItemEntity item, String reviewerId) {
        item.openAssignments++;
        item.principalIn = item.principalIn || (!item.principalReviewerId.isEmpty()
                && item.principalReviewerId.equals(reviewerId));
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
