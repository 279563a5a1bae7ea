package io.plumbline.annotation;

import static io.plumbline.annotation.Fixtures.BOOLEAN;
import static io.plumbline.annotation.Fixtures.as;
import static io.plumbline.annotation.Fixtures.bool;
import static io.plumbline.annotation.Fixtures.itemsFor;
import static io.plumbline.annotation.Fixtures.newMetric;
import static io.plumbline.annotation.Fixtures.newProject;
import static io.plumbline.annotation.Fixtures.refused;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.grpc.Status;
import io.plumbline.proto.annotation.v1.AnnotationsGrpc.AnnotationsBlockingStub;
import io.plumbline.proto.annotation.v1.GetReviewerProgressRequest;
import io.plumbline.proto.annotation.v1.NextItemRequest;
import io.plumbline.proto.annotation.v1.NextItemResponse;
import io.plumbline.proto.annotation.v1.ReviewItem;
import io.plumbline.proto.annotation.v1.SubmitFeedbackRequest;
import io.plumbline.proto.annotation.v1.Verdict;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** An assignment whose lease expires without feedback gives its slot to another reviewer. */
@QuarkusTest
@TestProfile(LeaseExpiryTest.ShortLease.class)
class LeaseExpiryTest {

    /** Leases of two seconds, swept every second. */
    public static class ShortLease implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("plumbline.annotation.assignment-lease", "2s",
                    "plumbline.annotation.lease-sweep-interval", "1s");
        }
    }

    @GrpcClient("annotations")
    AnnotationsBlockingStub stub;

    @Test
    void anExpiredLeaseHandsTheItemToAnotherReviewer() {
        String project = newProject();
        ReviewItem item = itemsFor(as(stub, "key-root"), project, newMetric(), BOOLEAN, bool(true)).get(0);
        NextItemRequest next = NextItemRequest.newBuilder().setProjectId(project).build();
        assertEquals(item.getId(), as(stub, "key-bob").nextItem(next).getItem().getId());
        NextItemResponse carols = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                .until(() -> as(stub, "key-carol").nextItem(next), NextItemResponse::hasItem);
        assertEquals(item.getId(), carols.getItem().getId(), "the one slot was freed when bob's lease expired");
        assertEquals(1, carols.getItem().getOpenAssignments());

        assertFalse(as(stub, "key-bob").nextItem(next).hasItem(), "bob is never handed it again");
        as(stub, "key-carol").submitFeedback(SubmitFeedbackRequest.newBuilder().setProjectId(project)
                .setItemId(item.getId()).setVerdict(Verdict.VERDICT_CORRECT).build());
        refused(Status.Code.FAILED_PRECONDITION, () -> as(stub, "key-bob").submitFeedback(SubmitFeedbackRequest
                .newBuilder().setProjectId(project).setItemId(item.getId()).setVerdict(Verdict.VERDICT_CORRECT)
                .build()));
        assertEquals(0, as(stub, "key-bob").getReviewerProgress(GetReviewerProgressRequest.newBuilder()
                .setProjectId(project).build()).getTotals().getAssigned(), "his assignment expired");
    }
}
