package io.plumbline.annotation;

import static io.plumbline.annotation.Fixtures.BOOLEAN;
import static io.plumbline.annotation.Fixtures.GOOD_CRITIQUE;
import static io.plumbline.annotation.Fixtures.as;
import static io.plumbline.annotation.Fixtures.bool;
import static io.plumbline.annotation.Fixtures.itemsFor;
import static io.plumbline.annotation.Fixtures.newMetric;
import static io.plumbline.annotation.Fixtures.newProject;
import static io.plumbline.annotation.Fixtures.resolution;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.plumbline.proto.annotation.v1.AnnotationsGrpc.AnnotationsBlockingStub;
import io.plumbline.proto.annotation.v1.GetItemRequest;
import io.plumbline.proto.annotation.v1.GetQueueProgressRequest;
import io.plumbline.proto.annotation.v1.NextItemRequest;
import io.plumbline.proto.annotation.v1.NextItemResponse;
import io.plumbline.proto.annotation.v1.QueueProgress;
import io.plumbline.proto.annotation.v1.ResolutionRule;
import io.plumbline.proto.annotation.v1.ResolutionSettings;
import io.plumbline.proto.annotation.v1.ReviewItem;
import io.plumbline.proto.annotation.v1.SkipItemRequest;
import io.plumbline.proto.annotation.v1.SubmitFeedbackRequest;
import io.plumbline.proto.annotation.v1.SubmitFeedbackResponse;
import io.plumbline.proto.annotation.v1.UpdateFeedbackRequest;
import io.plumbline.proto.annotation.v1.Verdict;
import io.plumbline.proto.annotation.v1.WithdrawFeedbackRequest;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Reviewers pull items and give feedback: never the same item twice, never more reviewers than needed, blind. */
@QuarkusTest
class ReviewTest {

    @GrpcClient("annotations")
    AnnotationsBlockingStub stub;

    @Test
    void concurrentReviewersPullingFromOneQueueNeverExceedTheReviewsAnItemNeeds() throws Exception {
        String project = newProject();
        String metric = newMetric();
        AnnotationsBlockingStub root = as(stub, "key-root");
        resolution(root, project, metric, ResolutionSettings.newBuilder()
                .setRule(ResolutionRule.RESOLUTION_RULE_MAJORITY).setRequiredReviews(2).build());
        int itemCount = 8;
        List<ReviewItem> items = itemsFor(root, project, metric, BOOLEAN,
                Collections.nCopies(itemCount, bool(true)).toArray(io.plumbline.proto.common.v1.MetricValue[]::new));
        String queueId = items.get(0).getQueueId();

        List<String> reviewers = List.of("alice", "bob", "carol", "dave", "erin");
        Map<String, List<String>> reviewedBy = new HashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(reviewers.size());
        try {
            List<Future<List<String>>> results = new ArrayList<>();
            for (String reviewer : reviewers) {
                AnnotationsBlockingStub me = as(stub, "key-" + reviewer);
                results.add(pool.submit((Callable<List<String>>) () -> {
                    List<String> mine = new ArrayList<>();
                    while (true) {
                        NextItemResponse next = me.nextItem(NextItemRequest.newBuilder().setProjectId(project)
                                .setQueueId(queueId).build());
                        if (!next.hasItem()) {
                            return mine;
                        }
                        mine.add(next.getItem().getId());
                        me.submitFeedback(SubmitFeedbackRequest.newBuilder().setProjectId(project)
                                .setItemId(next.getItem().getId()).setVerdict(Verdict.VERDICT_CORRECT).build());
                    }
                }));
            }
            for (int i = 0; i < reviewers.size(); i++) {
                reviewedBy.put(reviewers.get(i), results.get(i).get());
            }
        } finally {
            pool.shutdownNow();
        }

        Map<String, Integer> reviewsPerItem = new HashMap<>();
        reviewedBy.forEach((reviewer, ids) -> {
            assertEquals(new HashSet<>(ids).size(), ids.size(), reviewer + " was handed an item twice: " + ids);
            ids.forEach(id -> reviewsPerItem.merge(id, 1, Integer::sum));
        });
        assertEquals(itemCount, reviewsPerItem.size(), "every item was handed out");
        reviewsPerItem.forEach((id, n) -> assertEquals(2, n, "item " + id + " had " + n + " reviewers"));
        for (ReviewItem item : items) {
            ReviewItem now = root.getItem(GetItemRequest.newBuilder().setProjectId(project).setItemId(item.getId()).build());
            assertEquals(ReviewItem.Status.STATUS_RESOLVED, now.getStatus());
            assertEquals(2, now.getReviewCount());
        }
        QueueProgress progress = root.getQueueProgress(GetQueueProgressRequest.newBuilder().setProjectId(project)
                .setQueueId(queueId).build());
        assertEquals(itemCount, progress.getTotals().getResolved());
        assertEquals(2L * itemCount, progress.getReviewersList().stream().mapToLong(r -> r.getCounts().getReviewed()).sum());
    }

    @Test
    void aReviewerIsNeverHandedAnItemTwiceNorOneTheySkipped() {
        String project = newProject();
        String metric = newMetric();
        AnnotationsBlockingStub root = as(stub, "key-root");
        resolution(root, project, metric, ResolutionSettings.newBuilder().setRequiredReviews(3).build());
        List<ReviewItem> items = itemsFor(root, project, metric, BOOLEAN, bool(true), bool(false));
        AnnotationsBlockingStub bob = as(stub, "key-bob");
        NextItemRequest next = NextItemRequest.newBuilder().setProjectId(project).setMetricId(metric).build();

        NextItemResponse first = bob.nextItem(next);
        assertEquals(items.get(0).getId(), first.getItem().getId(), "oldest first");
        assertTrue(first.getItem().getAssignedToMe());
        assertEquals("Yes, take 800 mg.", first.getItem().getSnapshot().getOutput(), "with the snapshot");
        assertEquals(1, first.getRemaining());
        assertTrue(first.hasLeaseExpireTime());
        bob.skipItem(SkipItemRequest.newBuilder().setProjectId(project).setItemId(first.getItem().getId())
                .setReason("needs medical knowledge").build());

        NextItemResponse second = bob.nextItem(next);
        assertEquals(items.get(1).getId(), second.getItem().getId(), "the skipped item is not offered again");
        bob.submitFeedback(SubmitFeedbackRequest.newBuilder().setProjectId(project)
                .setItemId(second.getItem().getId()).setVerdict(Verdict.VERDICT_CORRECT).build());
        assertFalse(bob.nextItem(next).hasItem(), "nothing left for bob, though both items still need reviews");
        assertEquals(items.get(0).getId(), as(stub, "key-carol").nextItem(next).getItem().getId(),
                "carol still gets the item bob skipped");
    }

    @Test
    void blindReviewHidesOtherReviewersFeedbackUntilTheItemIsResolved() {
        String project = newProject();
        String metric = newMetric();
        AnnotationsBlockingStub root = as(stub, "key-root");
        resolution(root, project, metric, ResolutionSettings.newBuilder().setRequiredReviews(2).build());
        ReviewItem item = itemsFor(root, project, metric, BOOLEAN, bool(true)).get(0);
        GetItemRequest get = GetItemRequest.newBuilder().setProjectId(project).setItemId(item.getId()).build();
        AnnotationsBlockingStub alice = as(stub, "key-alice");
        AnnotationsBlockingStub bob = as(stub, "key-bob");

        alice.submitFeedback(SubmitFeedbackRequest.newBuilder().setProjectId(project).setItemId(item.getId())
                .setVerdict(Verdict.VERDICT_INCORRECT).setExpectedValue(bool(false)).setCritique(GOOD_CRITIQUE).build());

        ReviewItem seenByBob = bob.getItem(get);
        assertEquals(0, seenByBob.getFeedbackCount(), "bob sees no one else's label");
        assertFalse(seenByBob.hasMyFeedback());
        ReviewItem seenByAlice = alice.getItem(get);
        assertEquals(0, seenByAlice.getFeedbackCount(), "alice sees only her own, as my_feedback");
        assertEquals(GOOD_CRITIQUE, seenByAlice.getMyFeedback().getCritique());
        assertEquals(1, root.getItem(get).getFeedbackCount(), "admins see every label");

        SubmitFeedbackResponse bobs = bob.submitFeedback(SubmitFeedbackRequest.newBuilder().setProjectId(project)
                .setItemId(item.getId()).setVerdict(Verdict.VERDICT_INCORRECT).setExpectedValue(bool(false))
                .setCritique("The answer gives a dosage of 800 mg with no disclaimer, so it must be flagged").build());
        assertEquals(ReviewItem.Status.STATUS_RESOLVED, bobs.getItem().getStatus());
        assertEquals(2, bob.getItem(get).getFeedbackCount(), "once resolved, everyone's labels are shown");
    }

    @Test
    void aReviewerChangesOrWithdrawsTheirFeedbackUntilTheItemIsResolved() {
        String project = newProject();
        String metric = newMetric();
        AnnotationsBlockingStub root = as(stub, "key-root");
        resolution(root, project, metric, ResolutionSettings.newBuilder()
                .setRule(ResolutionRule.RESOLUTION_RULE_UNANIMOUS).setRequiredReviews(2).build());
        ReviewItem item = itemsFor(root, project, metric, BOOLEAN, bool(true)).get(0);
        AnnotationsBlockingStub alice = as(stub, "key-alice");
        AnnotationsBlockingStub bob = as(stub, "key-bob");

        var first = alice.submitFeedback(SubmitFeedbackRequest.newBuilder().setProjectId(project).setItemId(item.getId())
                .setVerdict(Verdict.VERDICT_CORRECT).build());
        var changed = alice.updateFeedback(UpdateFeedbackRequest.newBuilder().setProjectId(project)
                .setFeedbackId(first.getFeedback().getId()).setExpectedRevision(1)
                .setVerdict(Verdict.VERDICT_INCORRECT).setExpectedValue(bool(false)).setCritique(GOOD_CRITIQUE)
                .addTags("unsafe-advice").build());
        assertEquals(2, changed.getFeedback().getRevision());
        assertEquals(bool(false), changed.getFeedback().getValue());
        assertEquals(List.of("unsafe-advice"), changed.getFeedback().getTagsList());

        ReviewItem afterWithdraw = alice.withdrawFeedback(WithdrawFeedbackRequest.newBuilder().setProjectId(project)
                .setFeedbackId(first.getFeedback().getId()).build());
        assertEquals(0, afterWithdraw.getReviewCount(), "the review slot returns to the pool");
        assertFalse(afterWithdraw.hasMyFeedback());

        bob.submitFeedback(SubmitFeedbackRequest.newBuilder().setProjectId(project).setItemId(item.getId())
                .setVerdict(Verdict.VERDICT_CORRECT).build());
        SubmitFeedbackResponse resolving = as(stub, "key-carol").submitFeedback(SubmitFeedbackRequest.newBuilder()
                .setProjectId(project).setItemId(item.getId()).setVerdict(Verdict.VERDICT_CORRECT).build());
        assertEquals(ReviewItem.Status.STATUS_RESOLVED, resolving.getItem().getStatus());
        Set<String> reviewers = new HashSet<>();
        resolving.getItem().getFeedbackList().forEach(f -> reviewers.add(f.getReviewerId()));
        assertEquals(Set.of("bob", "carol"), reviewers);
    }

    @Test
    void aQueuesNewResolutionSettingsApplyToItsUnresolvedItems() {
        String project = newProject();
        String metric = newMetric();
        AnnotationsBlockingStub root = as(stub, "key-root");
        var queue = root.createQueue(io.plumbline.proto.annotation.v1.CreateQueueRequest.newBuilder()
                .setProjectId(project).setName("two opinions").setMetricId(metric)
                .setStrategy(io.plumbline.proto.annotation.v1.FillStrategy.newBuilder()
                        .setAll(io.plumbline.proto.annotation.v1.AllStrategy.getDefaultInstance()))
                .setResolution(ResolutionSettings.newBuilder().setRequiredReviews(2)).build());
        ReviewItem item = itemsFor(root, project, metric, BOOLEAN, bool(true)).get(0);
        assertEquals(queue.getId(), item.getQueueId());
        assertEquals(2, item.getResolution().getRequiredReviews());
        as(stub, "key-bob").submitFeedback(SubmitFeedbackRequest.newBuilder().setProjectId(project)
                .setItemId(item.getId()).setVerdict(Verdict.VERDICT_CORRECT).build());

        root.updateQueue(io.plumbline.proto.annotation.v1.UpdateQueueRequest.newBuilder().setProjectId(project)
                .setQueueId(queue.getId()).setExpectedRevision(queue.getRevision()).setName(queue.getName())
                .setStrategy(queue.getStrategy()).setResolution(ResolutionSettings.newBuilder().setRequiredReviews(1))
                .build());
        ReviewItem now = root.getItem(GetItemRequest.newBuilder().setProjectId(project).setItemId(item.getId()).build());
        assertEquals(ReviewItem.Status.STATUS_RESOLVED, now.getStatus(), "one review is now enough");
        assertEquals(bool(true), now.getResolvedValue());
        refusedStale(root, queue);
    }

    private void refusedStale(AnnotationsBlockingStub root, io.plumbline.proto.annotation.v1.ReviewQueue queue) {
        var e = Fixtures.refused(io.grpc.Status.Code.ABORTED, () -> root.updateQueue(
                io.plumbline.proto.annotation.v1.UpdateQueueRequest.newBuilder().setProjectId(queue.getProjectId())
                        .setQueueId(queue.getId()).setExpectedRevision(queue.getRevision()).setName(queue.getName())
                        .setStrategy(queue.getStrategy()).build()));
        assertTrue(e.getStatus().getDescription().contains("revision 2"), e.getStatus().getDescription());
    }
}
