package io.plumbline.annotation;

import static io.plumbline.annotation.Fixtures.BOOLEAN;
import static io.plumbline.annotation.Fixtures.GOOD_CRITIQUE;
import static io.plumbline.annotation.Fixtures.as;
import static io.plumbline.annotation.Fixtures.bool;
import static io.plumbline.annotation.Fixtures.itemsFor;
import static io.plumbline.annotation.Fixtures.newMetric;
import static io.plumbline.annotation.Fixtures.newProject;
import static io.plumbline.annotation.Fixtures.refused;
import static io.plumbline.annotation.Fixtures.resolution;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.plumbline.proto.annotation.v1.AnnotationsGrpc.AnnotationsBlockingStub;
import io.plumbline.proto.annotation.v1.GetQueueProgressRequest;
import io.plumbline.proto.annotation.v1.GetReviewerProgressRequest;
import io.plumbline.proto.annotation.v1.ListQueuesRequest;
import io.plumbline.proto.annotation.v1.NextItemRequest;
import io.plumbline.proto.annotation.v1.QueueProgress;
import io.plumbline.proto.annotation.v1.ResolutionRule;
import io.plumbline.proto.annotation.v1.ResolutionSettings;
import io.plumbline.proto.annotation.v1.ReviewItem;
import io.plumbline.proto.annotation.v1.ReviewerCounts;
import io.plumbline.proto.annotation.v1.ReviewerProgress;
import io.plumbline.proto.annotation.v1.ReviewerQueueProgress;
import io.plumbline.proto.annotation.v1.SkipItemRequest;
import io.plumbline.proto.annotation.v1.SubmitFeedbackRequest;
import io.plumbline.proto.annotation.v1.Verdict;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Progress per queue and per reviewer: reviewed, resolved, agreed with the resolution, held, skipped, available. */
@QuarkusTest
class ProgressTest {

    @GrpcClient("annotations")
    AnnotationsBlockingStub stub;

    private static ReviewerCounts counts(long reviewed, long resolved, long agreed, long assigned, long skipped,
            long available) {
        return ReviewerCounts.newBuilder().setReviewed(reviewed).setResolved(resolved).setAgreedWithResolution(agreed)
                .setAssigned(assigned).setSkipped(skipped).setAvailable(available).build();
    }

    private ReviewItem next(String key, String project) {
        return as(stub, key).nextItem(NextItemRequest.newBuilder().setProjectId(project).build()).getItem();
    }

    private void submit(String key, String project, ReviewItem item, boolean value) {
        var request = SubmitFeedbackRequest.newBuilder().setProjectId(project).setItemId(item.getId());
        if (value == item.getEvaluation().getValue().getBoolean()) {
            request.setVerdict(Verdict.VERDICT_CORRECT);
        } else {
            request.setVerdict(Verdict.VERDICT_INCORRECT).setExpectedValue(bool(value)).setCritique(GOOD_CRITIQUE);
        }
        as(stub, key).submitFeedback(request.build());
    }

    @Test
    void eachReviewersCountsPerQueueAndOverall() {
        String project = newProject();
        String metric = newMetric();
        AnnotationsBlockingStub root = as(stub, "key-root");
        resolution(root, project, metric, ResolutionSettings.newBuilder()
                .setRule(ResolutionRule.RESOLUTION_RULE_MAJORITY).setRequiredReviews(3).build());
        List<ReviewItem> items = itemsFor(root, project, metric, BOOLEAN, bool(true), bool(true), bool(true));
        String queue = items.get(0).getQueueId();

        assertEquals(items.get(0).getId(), next("key-bob", project).getId());
        submit("key-bob", project, items.get(0), true);
        assertEquals(items.get(1).getId(), next("key-bob", project).getId());
        as(stub, "key-bob").skipItem(SkipItemRequest.newBuilder().setProjectId(project).setItemId(items.get(1).getId())
                .build());
        assertEquals(items.get(2).getId(), next("key-bob", project).getId());  // held
        submit("key-carol", project, items.get(0), true);
        submit("key-dave", project, items.get(0), false);  // resolves the first item to true (2 of 3): dave disagreed

        ReviewerProgress bobs = as(stub, "key-bob").getReviewerProgress(GetReviewerProgressRequest.newBuilder()
                .setProjectId(project).build());
        assertEquals("bob", bobs.getReviewerId());
        assertEquals(counts(1, 1, 1, 1, 1, 0), bobs.getTotals());
        assertEquals(List.of(ReviewerQueueProgress.newBuilder().setReviewerId("bob").setQueueId(queue)
                .setCounts(counts(1, 1, 1, 1, 1, 0)).build()), bobs.getQueuesList());
        assertEquals(bobs, root.getReviewerProgress(GetReviewerProgressRequest.newBuilder().setProjectId(project)
                .setReviewerId("bob").build()), "an admin reads anyone's progress");
        refused(Status.Code.PERMISSION_DENIED, () -> as(stub, "key-carol").getReviewerProgress(
                GetReviewerProgressRequest.newBuilder().setProjectId(project).setReviewerId("bob").build()));

        ReviewerProgress daves = as(stub, "key-dave").getReviewerProgress(GetReviewerProgressRequest.newBuilder()
                .setProjectId(project).build());
        assertEquals(counts(1, 1, 0, 0, 0, 2), daves.getTotals(), "the second and third items can still be his");
        ReviewerProgress erins = as(stub, "key-erin").getReviewerProgress(GetReviewerProgressRequest.newBuilder()
                .setProjectId(project).build());
        assertEquals(counts(0, 0, 0, 0, 0, 2), erins.getTotals());
        assertEquals(1, erins.getQueuesCount(), "a queue she can review is listed before she worked in it");

        QueueProgress progress = root.getQueueProgress(GetQueueProgressRequest.newBuilder().setProjectId(project)
                .setQueueId(queue).build());
        assertEquals(3, progress.getTotals().getTotal());
        assertEquals(1, progress.getTotals().getResolved());
        assertEquals(List.of("bob", "carol", "dave"), progress.getReviewersList().stream()
                .map(ReviewerQueueProgress::getReviewerId).toList());
        assertEquals(counts(1, 1, 1, 0, 0, 2), progress.getReviewers(1).getCounts());
        assertEquals(counts(1, 1, 0, 0, 0, 2), progress.getReviewers(2).getCounts());

        given().header("X-API-Key", "key-dave").get("/api/v1/projects/" + project + "/reviewer-progress")
                .then().statusCode(200)
                .body("reviewerId", equalTo("dave"))
                .body("totals.reviewed", equalTo("1"))
                .body("totals.available", equalTo("2"))
                .body("queues[0].queueId", equalTo(queue));
        given().header("X-API-Key", "key-dave").get("/api/v1/projects/" + project + "/reviewer-progress?reviewerId=bob")
                .then().statusCode(403);
    }

    @Test
    void queuesAvailableToMeAreThoseWithAnItemICanStillBeHanded() {
        String project = newProject();
        String metric = newMetric();
        AnnotationsBlockingStub root = as(stub, "key-root");
        List<ReviewItem> items = itemsFor(root, project, metric, BOOLEAN, bool(true));
        ListQueuesRequest available = ListQueuesRequest.newBuilder().setProjectId(project).setAvailableToMe(true).build();
        assertEquals(List.of(items.get(0).getQueueId()), as(stub, "key-bob").listQueues(available).getQueuesList()
                .stream().map(q -> q.getId()).toList());
        submit("key-carol", project, items.get(0), true);
        assertTrue(as(stub, "key-bob").listQueues(available).getQueuesList().isEmpty(),
                "its only item is resolved");
        assertEquals(1, as(stub, "key-bob").listQueues(ListQueuesRequest.newBuilder().setProjectId(project).build())
                .getQueuesCount());
    }
}
